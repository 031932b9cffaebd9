import { FrameKeys, type FramePipeCommand, type FrameTransformOptions } from './e2ee/frame-keys.ts';

/**
 * The frame worker: every encoded frame of a call is sealed or opened here (RTCRtpScriptTransform), off
 * the page's main thread, so frames keep flowing while the page is busy rendering or renegotiating.
 */
// This file runs in a worker, but is type-checked with the page's DOM types too (one tsconfig for the
// whole client), where `self` is a Window: the worker's own scope is named here, once.
const scope = self as unknown as {
  onmessage: (e: MessageEvent<FramePipeCommand>) => void;
  onrtctransform: (e: RTCTransformEvent) => void;
  postMessage: (m: unknown) => void;
};

const keys = new FrameKeys((report) => scope.postMessage(report));

scope.onmessage = (e) => void keys.handle(e.data);

scope.onrtctransform = (event) => {
  const { readable, writable, options } = event.transformer;
  void readable
    .pipeThrough(keys.transform(options as FrameTransformOptions))
    .pipeTo(writable)
    .catch(() => undefined);
};
