import { concatBytes, fromBase64Url, toBase64Url, utf8 } from './bytes.ts';
import { deriveFromMediaKey, type MediaKey } from './key-exchange.ts';

/*
 * In-call text messages, sealed with a key derived from the sender's current media key (HKDF with its
 * own label: never the media key itself, so a chat IV can never collide with a frame's). Whoever can
 * see the sender's video can read the sender's messages; no one else, the server included.
 */

export const MAX_CHAT_TEXT = 2000;

export async function chatKeyOf(media: MediaKey): Promise<CryptoKey> {
  const raw = await deriveFromMediaKey(media, 'chat');
  return crypto.subtle.importKey('raw', raw, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
}

const chatAad = (callId: string, from: string) => utf8(`chat\n${callId}\n${from}`);

/** [key index, 1 byte][random IV, 12][ciphertext + tag], base64url. */
export async function sealChat(key: CryptoKey, keyIndex: number, callId: string, from: string, text: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: chatAad(callId, from) }, key, utf8(text)));
  return toBase64Url(concatBytes(Uint8Array.of(keyIndex & 0xff), iv, sealed));
}

export function chatKeyIndexOf(blob: string): number | null {
  try {
    const bytes = fromBase64Url(blob);
    return bytes.length > 13 ? bytes[0]! : null;
  } catch {
    return null;
  }
}

export async function openChat(key: CryptoKey, callId: string, from: string, blob: string): Promise<string | null> {
  try {
    const bytes = fromBase64Url(blob);
    const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: bytes.slice(1, 13), additionalData: chatAad(callId, from) }, key, bytes.slice(13));
    return new TextDecoder('utf-8', { fatal: true }).decode(plain);
  } catch {
    return null;
  }
}
