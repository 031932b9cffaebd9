/**
 * Every transport is created with `encodedInsertableStreams: true` (E2EE needs it from the first frame).
 * With that flag, Chromium sends and plays only the frames the page itself writes back: a sender or
 * receiver without a pipe is silent. This is the one place frames pass through; the E2EE issue puts the
 * frame encryption in the worker (frame-worker.ts).
 *
 * RTCRtpScriptTransform (a worker) where the browser has it; createEncodedStreams on the main thread
 * where it has only that.
 */
interface EncodedStreams {
  readable: ReadableStream<unknown>;
  writable: WritableStream<unknown>;
}

type Endpoint = (RTCRtpSender | RTCRtpReceiver) & { createEncodedStreams?: () => EncodedStreams };

let worker: Worker | undefined;

function frameWorker(): Worker {
  worker ??= new Worker(new URL('./frame-worker.ts', import.meta.url), { type: 'module', name: 'frames' });
  return worker;
}

/** Starts the frame worker ahead of the call (while waiting), so its start-up is not on the first frame's path. */
export function prepareFramePipe(): void {
  if (typeof globalThis.RTCRtpScriptTransform === 'function') frameWorker();
}

export function pipeFrames(endpoint: RTCRtpSender | RTCRtpReceiver, direction: 'send' | 'receive'): void {
  const e = endpoint as Endpoint;
  if (typeof globalThis.RTCRtpScriptTransform === 'function' && 'transform' in e) {
    e.transform = new RTCRtpScriptTransform(frameWorker(), { direction });
    return;
  }
  // Browsers without either ignore the transport flag too, so their media flows as is.
  if (typeof e.createEncodedStreams !== 'function') return;
  const { readable, writable } = e.createEncodedStreams();
  void readable.pipeTo(writable).catch(() => undefined);
}
