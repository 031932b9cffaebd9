import type { Redis } from 'ioredis';
import { keys } from '../redis/keys.ts';
import { noteRetained } from '../retention/retained-scripts.ts';
import type { SmsSender } from './sms-sender.ts';

/**
 * Twilio keeps every message it sent (the number, and a body with a link about a visitor) until it is
 * deleted through its API. Each message we send is noted by its sid and time, so that when the
 * organization's retention has passed the purge job deletes Twilio's copy too: nothing about a visitor is
 * left anywhere, our processors included. (An erasure deletes a visitor's messages at once.)
 */
export async function noteSentSms(redis: Redis, orgId: string, sid: string, now = Date.now()): Promise<void> {
  // Kept a day past the retention: the purge job deletes each message at Twilio once its retention passed.
  await noteRetained.run(redis, { keys: { org: keys.organization(orgId), index: keys.sentSms(orgId) }, args: { member: sid, score: now, marginMs: 86_400_000 } });
}

/** Deletes at Twilio these noted messages (the purge job reads which are due); answers how many went. */
export async function deleteSentSms(redis: Redis, sender: SmsSender, orgId: string, sids: string[]): Promise<number> {
  let deleted = 0;
  for (const sid of sids) {
    // One that fails (Twilio down, a message still sending) stays noted and is tried at the next pass.
    const ok = await sender.remove(sid).then(
      () => true,
      () => false,
    );
    if (!ok) continue;
    await redis.zrem(keys.sentSms(orgId), sid);
    deleted++;
  }
  return deleted;
}
