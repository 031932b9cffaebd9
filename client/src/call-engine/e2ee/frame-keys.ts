import { clearBytesOf, decryptFrame, encryptFrame, frameIv, isNewerIndex, keyIndexOf, MAX_FRAME_COUNTER, type FrameKind } from './frame-format.ts';

/*
 * The keys frames are sealed and opened with, and the transform every frame passes through. It runs in
 * the frame worker (RTCRtpScriptTransform) or, in browsers with only createEncodedStreams, on the page.
 * Keys arrive as commands from the page's CallEncryption; nothing here ever leaves the browser.
 */

export type FramePipeCommand =
  | { type: 'send-key'; session: string; index: number; raw: ArrayBuffer }
  | { type: 'receive-key'; session: string; participantId: string; index: number; raw: ArrayBuffer }
  | { type: 'forget'; session: string; participantId: string }
  | { type: 'close'; session: string };

/** Told to the page when frames from a participant start or stop decrypting. */
export interface FramePipeReport {
  type: 'decrypting';
  session: string;
  participantId: string;
  decrypting: boolean;
}

export interface FrameTransformOptions {
  /** One call engine's keys; a page may hold a second call while the first closes. */
  session: string;
  direction: 'send' | 'receive';
  kind: FrameKind;
  /** For receivers: whose frames these are. */
  participantId?: string;
}

export type EncodedFrame = RTCEncodedVideoFrame | RTCEncodedAudioFrame;

/**
 * How long a frame sealed with a key we do not have yet waits for it. Key messages travel through
 * signaling and frames through the SFU; either may come first, and waiting is what keeps a key change
 * from losing frames.
 */
export const KEY_WAIT_MS = 1000;
/** This many failed frames in a row mean the participant's media cannot be decrypted (about 0.4 s of audio). */
const FAILURES_BEFORE_REPORT = 20;
/** Earlier keys kept per sender, for frames still in flight across a key change. */
const KEYS_KEPT = 4;

interface SenderKey {
  index: number;
  key: CryptoKey;
  counter: number;
}

class Waitable {
  private readonly waiters = new Set<() => void>();
  /** Resolves at the next wake() or after `ms`, whichever comes first. */
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }
  wake(): void {
    for (const w of [...this.waiters]) w();
  }
}

class ReceiverKeys extends Waitable {
  readonly keys = new Map<number, CryptoKey>();
  latest?: number;
  readonly missingSince = new Map<number, number>();
  failures = 0;
  decrypting?: boolean;
}

class Session extends Waitable {
  send?: SenderKey;
  closed = false;
  readonly receivers = new Map<string, ReceiverKeys>();
  receiver(participantId: string): ReceiverKeys {
    let r = this.receivers.get(participantId);
    if (!r) this.receivers.set(participantId, (r = new ReceiverKeys()));
    return r;
  }
}

export function importFrameKey(raw: ArrayBuffer | Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', raw, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
}

export class FrameKeys {
  private readonly sessions = new Map<string, Session>();
  /** Commands apply in order (key imports are asynchronous; a later key must never be overtaken by an earlier one). */
  private applying: Promise<void> = Promise.resolve();

  constructor(private readonly report: (r: FramePipeReport) => void) {}

  handle(cmd: FramePipeCommand): Promise<void> {
    this.applying = this.applying.then(() => this.apply(cmd)).catch(() => undefined);
    return this.applying;
  }

  transform(opts: FrameTransformOptions): TransformStream<EncodedFrame, EncodedFrame> {
    return new TransformStream({
      transform: async (frame, controller) => {
        const keep = opts.direction === 'send' ? await this.seal(opts, frame) : await this.open(opts, frame);
        if (keep) controller.enqueue(frame);
      },
    });
  }

  private async apply(cmd: FramePipeCommand): Promise<void> {
    if (cmd.type === 'close') {
      const session = this.sessions.get(cmd.session);
      this.sessions.delete(cmd.session);
      if (session) this.closeSession(session);
      return;
    }
    const session = this.session(cmd.session);
    if (cmd.type === 'forget') {
      session.receivers.get(cmd.participantId)?.wake();
      session.receivers.delete(cmd.participantId);
      return;
    }
    const key = await importFrameKey(cmd.raw);
    if (cmd.type === 'send-key') {
      session.send = { index: cmd.index, key, counter: 0 };
      session.wake();
      return;
    }
    const r = session.receiver(cmd.participantId);
    r.keys.delete(cmd.index);
    r.keys.set(cmd.index, key);
    while (r.keys.size > KEYS_KEPT) r.keys.delete(r.keys.keys().next().value!);
    if (r.latest === undefined || isNewerIndex(cmd.index, r.latest)) r.latest = cmd.index;
    r.missingSince.delete(cmd.index);
    r.wake();
  }

  private closeSession(session: Session): void {
    session.closed = true;
    session.wake();
    for (const r of session.receivers.values()) r.wake();
  }

  private session(id: string): Session {
    let s = this.sessions.get(id);
    if (!s) this.sessions.set(id, (s = new Session()));
    return s;
  }

  private async seal(opts: FrameTransformOptions, frame: EncodedFrame): Promise<boolean> {
    if (frame.data.byteLength === 0) return true;
    const session = this.session(opts.session);
    if (!session.send && !session.closed) await session.wait(KEY_WAIT_MS);
    const sender = session.send;
    if (!sender || session.closed || sender.counter >= MAX_FRAME_COUNTER) return false;
    const counter = sender.counter++;
    const meta = frame.getMetadata();
    const iv = frameIv(meta.synchronizationSource ?? 0, meta.rtpTimestamp ?? frame.timestamp ?? 0, counter);
    frame.data = await encryptFrame(sender.key, sender.index, iv, frame.data, clearBytesOf(opts.kind, isKeyFrame(frame)));
    return true;
  }

  private async open(opts: FrameTransformOptions, frame: EncodedFrame): Promise<boolean> {
    if (frame.data.byteLength === 0) return true;
    const session = this.session(opts.session);
    const participantId = opts.participantId ?? '';
    const index = keyIndexOf(frame.data);
    const key = index === null ? undefined : await this.receiveKey(session, participantId, index);
    const plain = key && (await decryptFrame(key, frame.data, clearBytesOf(opts.kind, isKeyFrame(frame))));
    const r = session.receivers.get(participantId);
    if (!plain) {
      // Dropped, never handed to the decoder.
      if (r && ++r.failures >= FAILURES_BEFORE_REPORT && r.decrypting !== false) this.tell(opts.session, participantId, r, false);
      return false;
    }
    frame.data = plain;
    if (r) {
      r.failures = 0;
      if (r.decrypting !== true) this.tell(opts.session, participantId, r, true);
    }
    return true;
  }

  private tell(session: string, participantId: string, r: ReceiverKeys, decrypting: boolean): void {
    r.decrypting = decrypting;
    this.report({ type: 'decrypting', session, participantId, decrypting });
  }

  /** The key for `index`, waiting a little for one that is newer than any we hold; undefined if it never comes. */
  private async receiveKey(session: Session, participantId: string, index: number): Promise<CryptoKey | undefined> {
    for (;;) {
      if (session.closed) return undefined;
      const r = session.receiver(participantId);
      const key = r.keys.get(index);
      if (key) return key;
      // Older than the newest key we hold and not kept: its time is over.
      if (r.latest !== undefined && !isNewerIndex(index, r.latest)) return undefined;
      const now = Date.now();
      const since = r.missingSince.get(index) ?? now;
      r.missingSince.set(index, since);
      const left = since + KEY_WAIT_MS - now;
      if (left <= 0) return undefined;
      await r.wait(left);
    }
  }
}

function isKeyFrame(frame: EncodedFrame): boolean {
  return 'type' in frame && frame.type === 'key';
}
