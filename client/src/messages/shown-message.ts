import type { WaitingMessage } from '../../../signaling/protocol/index.ts';
import type { ParticipantKeyPair } from '../call-engine/e2ee/key-exchange.ts';
import { checkMessageText, openMessage, sealMessage } from '../call-engine/e2ee/message-crypto.ts';
import { RequestError } from '../call-engine/request.ts';

/** A message as a screen shows it. */
export interface ShownMessage {
  messageId: string;
  /** The professional's name; null for what this reader wrote; 'visitor' for the visitor (on a dashboard). */
  author: string | null;
  /** Null when it could not be opened here (sealed before this browser had its key, or tampered with). */
  text: string | null;
  sentAt: number;
}

/** Why sending did not work, as a code the screens word. */
export class MessageProblem extends Error {
  constructor(readonly code: 'message_required' | 'message_too_long' | 'message_invalid_characters' | 'no_readers' | 'visitor_unreachable' | 'rate_limited' | 'not_waiting' | 'failed') {
    super(code);
  }
}

export const problemOf = (err: unknown): MessageProblem => {
  if (err instanceof MessageProblem) return err;
  if (err instanceof RequestError && (err.code === 'rate_limited' || err.code === 'not_waiting')) return new MessageProblem(err.code);
  return new MessageProblem('failed');
};

/** Opens this reader's copy of a message. `me`: 'visitor' or this dashboard's device id. */
export async function showMessage(own: ParticipantKeyPair, me: string, m: WaitingMessage): Promise<ShownMessage> {
  const from = m.from === 'visitor' ? 'visitor' : m.from.deviceId;
  const mine = from === me;
  const text = await openMessage(own, m.senderKey, m.visitorId, from, me, m.blob);
  const author = mine ? null : m.from === 'visitor' ? 'visitor' : m.from.professionalName;
  return { messageId: m.messageId, author, text, sentAt: m.sentAt };
}

/** The text checked by the shared rules, then sealed once per reader. */
export async function sealForReaders(
  own: ParticipantKeyPair,
  visitorId: string,
  from: string,
  text: string,
  readers: { to: string; publicKey: string }[],
): Promise<{ text: string; copies: { to: string; blob: string }[] }> {
  const checked = checkMessageText(text);
  if (!checked.ok) throw new MessageProblem(checked.problem);
  const copies = await Promise.all(readers.map(async (r) => ({ to: r.to, blob: await sealMessage(own, r.publicKey, visitorId, from, r.to, checked.text) })));
  return { text: checked.text, copies };
}

/** Adds messages to a thread, once each, oldest first. */
export function merge(thread: ShownMessage[], more: ShownMessage[]): ShownMessage[] {
  const seen = new Set(thread.map((m) => m.messageId));
  return [...thread, ...more.filter((m) => !seen.has(m.messageId))].sort((a, b) => a.sentAt - b.sentAt);
}
