import type { Redis } from 'ioredis';
import type { HistoryEntry } from '../../protocol/index.ts';
import { keys } from '../redis/keys.ts';
import { runScript } from '../redis/scripts.ts';
import { AppError, notFound } from '../errors.ts';

export interface Call {
  id: string;
  orgId: string;
  visitorId: string;
  professionalId: string;
  roomId: string;
  state: 'active' | 'ended';
  startedAt: number;
  endedAt?: number;
}

/** Call records and each professional's history (both under the organization's retention TTL). */
export class CallStore {
  constructor(private readonly redis: Redis) {}

  async get(orgId: string, callId: string): Promise<Call | null> {
    const h = await this.redis.hgetall(keys.call(orgId, callId));
    if (!h.callId) return null;
    return {
      id: h.callId,
      orgId,
      visitorId: h.visitorId!,
      professionalId: h.professionalId!,
      roomId: h.roomId!,
      state: h.state as Call['state'],
      startedAt: Number(h.startedAt),
      endedAt: h.endedAt ? Number(h.endedAt) : undefined,
    };
  }

  async end(call: Call, now = Date.now()): Promise<void> {
    const result = await runScript(this.redis, 'endCall', [keys.call(call.orgId, call.id), keys.visitor(call.orgId, call.visitorId)], [now]);
    if (result === 'not_found') throw notFound();
    if (result !== 'ok') throw new AppError('call_ended');
  }

  /** Newest first. Index entries whose call has expired are removed as they are found. */
  async history(
    orgId: string,
    professionalId: string,
    retentionMs: number,
    describe: (call: Call) => Promise<{ visitorName: string; roomName: string }>,
    now = Date.now(),
    limit = 100,
  ): Promise<HistoryEntry[]> {
    const key = keys.history(orgId, professionalId);
    await this.redis.zremrangebyscore(key, '-inf', `(${now - retentionMs}`);
    const ids = await this.redis.zrevrange(key, 0, limit - 1);
    const entries: HistoryEntry[] = [];
    for (const callId of ids) {
      const call = await this.get(orgId, callId);
      if (!call) {
        await this.redis.zrem(key, callId);
        continue;
      }
      const { visitorName, roomName } = await describe(call);
      entries.push({
        callId,
        visitorName,
        roomName,
        startedAt: call.startedAt,
        endedAt: call.endedAt ?? null,
        lengthSeconds: call.endedAt ? Math.round((call.endedAt - call.startedAt) / 1000) : null,
      });
    }
    return entries;
  }
}
