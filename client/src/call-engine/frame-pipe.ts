/**
 * Every transport is created with `encodedInsertableStreams: true` (E2EE needs it from the first frame).
 * With that flag, Chromium sends and plays only the frames the page itself writes back: a sender or
 * receiver without a pipe is silent. This is the one place frames pass through; the E2EE issue puts the
 * frame encryption here.
 */
interface EncodedStreams {
  readable: ReadableStream<unknown>;
  writable: WritableStream<unknown>;
}

type WithEncodedStreams = { createEncodedStreams?: () => EncodedStreams };

export function pipeFrames(endpoint: RTCRtpSender | RTCRtpReceiver): void {
  const e = endpoint as unknown as WithEncodedStreams;
  // Browsers without createEncodedStreams ignore the transport flag too, so their media flows as is.
  if (typeof e.createEncodedStreams !== 'function') return;
  const { readable, writable } = e.createEncodedStreams();
  void readable.pipeTo(writable).catch(() => undefined);
}
