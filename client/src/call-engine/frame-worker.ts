/**
 * Where encoded frames pass, off the page's main thread (RTCRtpScriptTransform). Today every frame goes
 * through unchanged; the E2EE issue encrypts and decrypts here. A worker keeps frames flowing while the
 * page is busy (renegotiating, rendering), which matters most in the first second of a call.
 */
(self as unknown as { onrtctransform: (e: RTCTransformEvent) => void }).onrtctransform = (event) => {
  const { readable, writable } = event.transformer;
  void readable.pipeTo(writable).catch(() => undefined);
};
