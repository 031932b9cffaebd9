import type { MessageReader, WaitingMessage } from '../../protocol/index.ts';
import { newId } from '../ids.ts';
import { keys } from '../redis/keys.ts';
import { pushRetained } from '../retention/retained-scripts.ts';
import type { Services } from '../services.ts';

/** A long wait has room for a conversation; beyond this the oldest go. */
const KEPT = 200;

/** One stored message: who sent it and a sealed copy per reader. Nothing in it is readable here. */
interface StoredMessage {
  messageId: string;
  from: 'visitor' | MessageReader;
  senderKey: string;
  sentAt: number;
  copies: Record<string, string>;
}

/** The sealed messages with one waiting visitor, kept under the organization's retention period. */
export class MessageStore {
  constructor(private readonly s: Pick<Services, 'redis'>) {}

  async add(
    orgId: string,
    visitorId: string,
    sender: { from: StoredMessage['from']; senderKey: string },
    copies: { to: string; blob: string }[],
    now = Date.now(),
  ): Promise<StoredMessage> {
    const message: StoredMessage = { messageId: newId(), ...sender, sentAt: now, copies: Object.fromEntries(copies.map((c) => [c.to, c.blob])) };
    await pushRetained.run(this.s.redis, { keys: { org: keys.organization(orgId), list: keys.visitorMessages(orgId, visitorId) }, args: { value: JSON.stringify(message), kept: KEPT } });
    return message;
  }

  /** Oldest first, each as `reader`'s copy; messages sent before that reader could read them are left out. */
  async listFor(orgId: string, visitorId: string, reader: string): Promise<WaitingMessage[]> {
    const stored = (await this.s.redis.lrange(keys.visitorMessages(orgId, visitorId), 0, -1)).map((j) => JSON.parse(j) as StoredMessage);
    return stored
      .reverse()
      .filter((m) => m.copies[reader])
      .map((m) => copyFor(visitorId, m, reader)!);
  }
}

export function copyFor(visitorId: string, m: StoredMessage, reader: string): WaitingMessage | null {
  const blob = m.copies[reader];
  return blob ? { messageId: m.messageId, visitorId, from: m.from, senderKey: m.senderKey, sentAt: m.sentAt, blob } : null;
}
