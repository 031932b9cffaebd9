import { compareBytes, concatBytes, fromBase64Url, toBase64Url, utf8 } from './bytes.ts';
import { SAFETY_VALUE_BYTES, type SafetyMessage } from './safety-code.ts';

/*
 * How a sender's media key reaches each other participant: ECDH (P-256) between the two participants'
 * key pairs, HKDF to a key-message key, AES-GCM around the media key. The server relays the sealed
 * result and learns nothing from it; only public keys pass through signaling in the clear.
 */

export const MEDIA_KEY_BYTES = 32;

export interface ParticipantKeyPair {
  /** Cannot be exported: it never leaves this browser, not even to our own scripts. */
  privateKey: CryptoKey;
  /** Raw uncompressed P-256 point, 65 bytes. */
  publicKey: Uint8Array<ArrayBuffer>;
}

export interface MediaKey {
  index: number;
  raw: Uint8Array<ArrayBuffer>;
}

export async function generateKeyPair(): Promise<ParticipantKeyPair> {
  const pair = await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits']);
  return { privateKey: pair.privateKey, publicKey: new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey)) };
}

export function randomMediaKey(index: number): MediaKey {
  return { index: index & 0xff, raw: crypto.getRandomValues(new Uint8Array(MEDIA_KEY_BYTES)) };
}

async function hkdf(secret: Uint8Array<ArrayBuffer>, salt: Uint8Array<ArrayBuffer>, info: string, bytes: number): Promise<Uint8Array<ArrayBuffer>> {
  const base = await crypto.subtle.importKey('raw', secret, 'HKDF', false, ['deriveBits']);
  return new Uint8Array(await crypto.subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt, info: utf8(info) }, base, bytes * 8));
}

/**
 * The next key in a sender's chain, for when someone joins: whoever gets it cannot go back to the
 * key before it, so a newcomer cannot decrypt what was said before they came.
 */
export async function ratchet(key: MediaKey): Promise<MediaKey> {
  return { index: (key.index + 1) & 0xff, raw: await hkdf(key.raw, new Uint8Array(0), 'consult e2ee v1 ratchet', MEDIA_KEY_BYTES) };
}

/** Derives a key for material that is not media (chat), so no key and IV pair is ever shared with frames. */
export function deriveFromMediaKey(key: MediaKey, purpose: string): Promise<Uint8Array<ArrayBuffer>> {
  return hkdf(key.raw, new Uint8Array(0), `consult e2ee v1 ${purpose}`, 32);
}

/** The key both members of a pair seal key messages with; bound to both public keys and the call. */
export async function pairKey(own: ParticipantKeyPair, peerPublicKey: Uint8Array<ArrayBuffer>, callId: string): Promise<CryptoKey> {
  const peer = await crypto.subtle.importKey('raw', peerPublicKey, { name: 'ECDH', namedCurve: 'P-256' }, false, []);
  const shared = new Uint8Array(await crypto.subtle.deriveBits({ name: 'ECDH', public: peer }, own.privateKey, 256));
  const [a, b] = [own.publicKey, peerPublicKey].sort(compareBytes);
  const salt = new Uint8Array(await crypto.subtle.digest('SHA-256', concatBytes(a!, b!)));
  const raw = await hkdf(shared, salt, `consult e2ee v1 key message ${callId}`, 32);
  return crypto.subtle.importKey('raw', raw, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
}

/** Who sends to whom in which call is authenticated, so the relay cannot turn a message around or move it. */
const keyMessageAad = (callId: string, from: string, to: string) => utf8(`${callId}\n${from}\n${to}`);

/**
 * What one participant sends another through the relay: its media key, or its part of the safety code
 * exchange. One type byte, then the fields; sealed as a whole, so the relay cannot tell which it is.
 */
export type PairMessage = { type: 'key'; key: MediaKey } | SafetyMessage;

const TYPE_BYTE = { key: 1, commit: 2, reveal: 3 } as const;
const SAFETY_BYTES = 1 + 32 + 4 + SAFETY_VALUE_BYTES;

function encode(m: PairMessage): Uint8Array<ArrayBuffer> {
  if (m.type === 'key') return concatBytes(Uint8Array.of(TYPE_BYTE.key, m.key.index), m.key.raw);
  const counter = Uint8Array.of(m.counter >>> 24, (m.counter >>> 16) & 0xff, (m.counter >>> 8) & 0xff, m.counter & 0xff);
  return concatBytes(Uint8Array.of(TYPE_BYTE[m.type]), m.epoch, counter, m.value);
}

function decode(b: Uint8Array<ArrayBuffer>): PairMessage | null {
  if (b[0] === TYPE_BYTE.key && b.length === 2 + MEDIA_KEY_BYTES) return { type: 'key', key: { index: b[1]!, raw: b.slice(2) } };
  if ((b[0] === TYPE_BYTE.commit || b[0] === TYPE_BYTE.reveal) && b.length === SAFETY_BYTES) {
    return {
      type: b[0] === TYPE_BYTE.commit ? 'commit' : 'reveal',
      epoch: b.slice(1, 33),
      counter: ((b[33]! << 24) | (b[34]! << 16) | (b[35]! << 8) | b[36]!) >>> 0,
      value: b.slice(37),
    };
  }
  return null;
}

export async function sealPairMessage(pair: CryptoKey, callId: string, from: string, to: string, message: PairMessage): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: keyMessageAad(callId, from, to) }, pair, encode(message)));
  return toBase64Url(concatBytes(iv, sealed));
}

/** The message, or null if it was not sealed by `from` for us in this call (or is not one we know). */
export async function openPairMessage(pair: CryptoKey, callId: string, from: string, to: string, blob: string): Promise<PairMessage | null> {
  try {
    const bytes = fromBase64Url(blob);
    const plain = new Uint8Array(
      await crypto.subtle.decrypt({ name: 'AES-GCM', iv: bytes.slice(0, 12), additionalData: keyMessageAad(callId, from, to) }, pair, bytes.slice(12)),
    );
    return decode(plain);
  } catch {
    return null;
  }
}

export function sealMediaKey(pair: CryptoKey, callId: string, from: string, to: string, key: MediaKey): Promise<string> {
  return sealPairMessage(pair, callId, from, to, { type: 'key', key });
}

/** The media key in a key message, or null if it is not a media key sealed by `from` for us in this call. */
export async function openMediaKey(pair: CryptoKey, callId: string, from: string, to: string, blob: string): Promise<MediaKey | null> {
  const message = await openPairMessage(pair, callId, from, to, blob);
  return message?.type === 'key' ? message.key : null;
}
