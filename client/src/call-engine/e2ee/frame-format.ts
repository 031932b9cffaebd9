/*
 * The encrypted frame, as the best-known designs (Jitsi, SFrame) lay it out:
 *
 *   [codec header, clear] [AES-GCM ciphertext + 16-byte tag] [IV, 12 bytes] [key index, 1 byte]
 *
 * The codec header stays readable because the SFU and the receiver's depacketizer need it (VP8: key
 * frame or not, size; Opus: the TOC byte); it is authenticated as additional data, so changing it makes
 * the frame fail. The IV travels with the frame because the SFU rewrites SSRCs and may rewrite
 * timestamps: the receiver cannot rebuild it from what it sees.
 */

export type FrameKind = 'audio' | 'video';

export const IV_BYTES = 12;
export const TAG_BYTES = 16;
export const TRAILER_BYTES = IV_BYTES + 1;
/** The largest counter one key may use: after it the sender must change keys (never reached in practice: 1.7 years of frames). */
export const MAX_FRAME_COUNTER = 0xffff_ffff;

/** VP8: 10 bytes on key frames (frame tag, start code, size), 3 on delta frames; Opus: the TOC byte. */
export function clearBytesOf(kind: FrameKind, keyFrame: boolean): number {
  if (kind === 'audio') return 1;
  return keyFrame ? 10 : 3;
}

/**
 * SSRC, RTP timestamp and a counter, big-endian. The counter alone is unique per key (one counter per
 * sender key, shared by its audio and video), so no IV repeats under a key whatever SSRC and timestamp are.
 */
export function frameIv(ssrc: number, rtpTimestamp: number, counter: number): Uint8Array<ArrayBuffer> {
  const iv = new Uint8Array(IV_BYTES);
  const view = new DataView(iv.buffer);
  view.setUint32(0, ssrc >>> 0);
  view.setUint32(4, rtpTimestamp >>> 0);
  view.setUint32(8, counter >>> 0);
  return iv;
}

export async function encryptFrame(
  key: CryptoKey,
  keyIndex: number,
  iv: Uint8Array<ArrayBuffer>,
  data: ArrayBuffer,
  clearBytes: number,
): Promise<ArrayBuffer> {
  const clear = Math.min(clearBytes, data.byteLength);
  const header = new Uint8Array(data, 0, clear);
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: header }, key, new Uint8Array(data, clear)),
  );
  const out = new Uint8Array(clear + sealed.length + TRAILER_BYTES);
  out.set(header, 0);
  out.set(sealed, clear);
  out.set(iv, clear + sealed.length);
  out[out.length - 1] = keyIndex & 0xff;
  return out.buffer;
}

/** The key index a frame says it was sealed with, or null if it is too short to be one of ours. */
export function keyIndexOf(data: ArrayBuffer): number | null {
  if (data.byteLength < TAG_BYTES + TRAILER_BYTES) return null;
  return new Uint8Array(data)[data.byteLength - 1]!;
}

/** The plaintext frame, or null when it does not authenticate (wrong key, tampered header or body). */
export async function decryptFrame(key: CryptoKey, data: ArrayBuffer, clearBytes: number): Promise<ArrayBuffer | null> {
  const total = data.byteLength;
  // A frame shorter than its codec header was sent with all of it clear and an empty body.
  const clear = Math.min(clearBytes, Math.max(0, total - TAG_BYTES - TRAILER_BYTES));
  if (total < clear + TAG_BYTES + TRAILER_BYTES) return null;
  const header = new Uint8Array(data, 0, clear);
  const iv = new Uint8Array(data, total - TRAILER_BYTES, IV_BYTES);
  const sealed = new Uint8Array(data, clear, total - TRAILER_BYTES - clear);
  try {
    const plain = new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv, additionalData: header }, key, sealed));
    const out = new Uint8Array(clear + plain.length);
    out.set(header, 0);
    out.set(plain, clear);
    return out.buffer;
  } catch {
    return null;
  }
}

/** Key indexes wrap at 256; `a` is newer than `b` when it is up to 127 steps ahead. */
export function isNewerIndex(a: number, b: number): boolean {
  const d = (a - b + 256) % 256;
  return d > 0 && d < 128;
}
