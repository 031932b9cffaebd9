import { FrameKeys, type FramePipeCommand, type FramePipeReport, type FrameTransformOptions } from './e2ee/frame-keys.ts';
import type { FrameKind } from './e2ee/frame-format.ts';

/*
 * Where a call's encoded frames are sealed and opened: in the frame worker through RTCRtpScriptTransform
 * where the browser has it, on the page through createEncodedStreams where it has only that. Both run
 * the same FrameKeys. Transports must be created with `encodedInsertableStreams: true` or the transforms
 * are silently skipped and media goes out in clear (shared/notes/e2ee-in-chromium.md).
 */

interface EncodedStreams {
  readable: ReadableStream<unknown>;
  writable: WritableStream<unknown>;
}

type Endpoint = (RTCRtpSender | RTCRtpReceiver) & { createEncodedStreams?: () => EncodedStreams };

/** Whether this browser can encrypt frames at all; if not, it cannot join a call. */
export function canEncryptFrames(): boolean {
  if (typeof globalThis.RTCRtpScriptTransform === 'function') return true;
  return typeof RTCRtpSender !== 'undefined' && 'createEncodedStreams' in RTCRtpSender.prototype;
}

const useWorker = () => typeof globalThis.RTCRtpScriptTransform === 'function';

let worker: Worker | undefined;
let pageKeys: FrameKeys | undefined;
const reportListeners = new Set<(r: FramePipeReport) => void>();
const report = (r: FramePipeReport) => {
  for (const l of reportListeners) l(r);
};

/** Where the browser has no RTCRtpScriptTransform, frames are sealed on the page with the same FrameKeys. */
const keysOnPage = () => (pageKeys ??= new FrameKeys(report));

function frameWorker(): Worker {
  if (!worker) {
    worker = new Worker(new URL('./frame-worker.ts', import.meta.url), { type: 'module', name: 'frames' });
    worker.addEventListener('message', (e: MessageEvent<FramePipeReport>) => report(e.data));
  }
  return worker;
}

/** Starts the frame worker ahead of the call (while waiting), so its start-up is not on the first frame's path. */
export function prepareFramePipe(): void {
  if (useWorker()) frameWorker();
}

let sessions = 0;

/** One call engine's frames and keys. */
export class FramePipe {
  readonly session = `call-${++sessions}-${Math.random().toString(36).slice(2)}`;
  private readonly listener: (r: FramePipeReport) => void;

  constructor(onDecrypting: (participantId: string, decrypting: boolean) => void) {
    this.listener = (r) => {
      if (r.session === this.session) onDecrypting(r.participantId, r.decrypting);
    };
    reportListeners.add(this.listener);
  }

  setSendKey(index: number, raw: Uint8Array): void {
    this.command({ type: 'send-key', session: this.session, index, raw: copy(raw) });
  }

  setReceiveKey(participantId: string, index: number, raw: Uint8Array): void {
    this.command({ type: 'receive-key', session: this.session, participantId, index, raw: copy(raw) });
  }

  forget(participantId: string): void {
    this.command({ type: 'forget', session: this.session, participantId });
  }

  close(): void {
    reportListeners.delete(this.listener);
    this.command({ type: 'close', session: this.session });
  }

  attach(endpoint: RTCRtpSender | RTCRtpReceiver, direction: 'send' | 'receive', kind: FrameKind, participantId?: string): void {
    const options: FrameTransformOptions = { session: this.session, direction, kind, participantId };
    const e = endpoint as Endpoint;
    if (useWorker() && 'transform' in e) {
      e.transform = new RTCRtpScriptTransform(frameWorker(), options);
      return;
    }
    if (typeof e.createEncodedStreams !== 'function') throw new Error('this browser cannot encrypt frames');
    const { readable, writable } = e.createEncodedStreams();
    void (readable as ReadableStream<never>).pipeThrough(keysOnPage().transform(options)).pipeTo(writable).catch(() => undefined);
  }

  private command(cmd: FramePipeCommand): void {
    if (useWorker()) frameWorker().postMessage(cmd);
    else void keysOnPage().handle(cmd);
  }
}

/** A copy for the worker; the page keeps its own (for chat and for sealing keys to newcomers). */
function copy(raw: Uint8Array): ArrayBuffer {
  return raw.slice().buffer;
}
