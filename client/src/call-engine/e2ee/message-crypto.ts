import { professionalMessage } from '../../../../signaling/protocol/index.ts';
import { concatBytes, fromBase64Url, toBase64Url, utf8 } from './bytes.ts';
import { pairKey, type ParticipantKeyPair } from './key-exchange.ts';

/*
 * Messages with a waiting visitor, sealed for one reader each: ECDH between the sender's and the
 * reader's key pairs (bound to the visitor's thread), AES-GCM around the text, with the thread, sender
 * and reader authenticated. The server stores and relays these and can read none of them.
 */

/** Why a text may not be sent (the same rules the readers apply after opening it). */
export type MessageTextProblem = 'message_required' | 'message_too_long' | 'message_invalid_characters';

/** The text as it is sent (trimmed), or what is wrong with it: at most 1000 characters, no control characters. */
export function checkMessageText(text: string): { ok: true; text: string } | { ok: false; problem: MessageTextProblem } {
  const parsed = professionalMessage.safeParse(text);
  if (parsed.success) return { ok: true, text: parsed.data };
  return { ok: false, problem: (parsed.error.issues[0]?.message as MessageTextProblem | undefined) ?? 'message_invalid_characters' };
}

const aad = (visitorId: string, from: string, to: string) => utf8(`consult waiting-room message v1\n${visitorId}\n${from}\n${to}`);

/** Pair keys are derived once per (own key, other key, thread). */
const pairs = new WeakMap<ParticipantKeyPair, Map<string, Promise<CryptoKey>>>();
function pairFor(own: ParticipantKeyPair, otherKey: string, visitorId: string): Promise<CryptoKey> {
  let mine = pairs.get(own);
  if (!mine) pairs.set(own, (mine = new Map()));
  const id = `${visitorId} ${otherKey}`;
  let key = mine.get(id);
  if (!key) {
    key = pairKey(own, fromBase64Url(otherKey), `waiting-room ${visitorId}`);
    mine.set(id, key);
  }
  return key;
}

/** `from` and `to`: 'visitor' or a dashboard's device id; `readerKey`: the reader's public key (base64url). */
export async function sealMessage(own: ParticipantKeyPair, readerKey: string, visitorId: string, from: string, to: string, text: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad(visitorId, from, to) }, await pairFor(own, readerKey, visitorId), utf8(text));
  return toBase64Url(concatBytes(iv, new Uint8Array(sealed)));
}

/** The text, or null if it was not sealed by that sender for this reader in this thread, or breaks the text rules. */
export async function openMessage(own: ParticipantKeyPair, senderKey: string, visitorId: string, from: string, to: string, blob: string): Promise<string | null> {
  try {
    const bytes = fromBase64Url(blob);
    const plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: bytes.slice(0, 12), additionalData: aad(visitorId, from, to) },
      await pairFor(own, senderKey, visitorId),
      bytes.slice(12),
    );
    const checked = checkMessageText(new TextDecoder('utf-8', { fatal: true }).decode(plain));
    return checked.ok ? checked.text : null;
  } catch {
    return null;
  }
}
