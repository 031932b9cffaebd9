import type { Redis } from 'ioredis';
import { professionalIdOfPeer, visitorIdOfPeer, type HistoryEntry } from '../../protocol/index.ts';
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

/** How many recent call lengths per room the visitors' wait estimate is made from. */
export const CALL_LENGTHS_KEPT = 20;

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

  /** Who is in the call or asked into it, as media participant ids (`visitor:<id>`, `professional:<id>`). */
  members(orgId: string, callId: string): Promise<string[]> {
    return this.redis.smembers(keys.callMembers(orgId, callId));
  }

  async isMember(orgId: string, callId: string, member: string): Promise<boolean> {
    return (await this.redis.sismember(keys.callMembers(orgId, callId), member)) === 1;
  }

  /**
   * Ends the call for everyone. Answers the visitors whose visit ended with it (not those sent back to
   * wait) and the professionals in it or asked into it.
   */
  async end(call: Call, now = Date.now(), knownMembers?: string[]): Promise<{ visitorIds: string[]; professionalIds: string[] }> {
    const members = knownMembers ?? (await this.members(call.orgId, call.id));
    const visitorIds = members.map(visitorIdOfPeer).filter((v): v is string => v !== null);
    const { orgId } = call;
    const result: unknown = await runScript(
      this.redis,
      'endCall',
      [keys.call(orgId, call.id), keys.organization(orgId), keys.roomCallLengths(orgId, call.roomId), ...visitorIds.map((v) => keys.visitor(orgId, v))],
      [now, CALL_LENGTHS_KEPT],
    );
    if (result === 'not_found') throw notFound();
    if (!Array.isArray(result)) throw new AppError('call_ended');
    const professionalIds = members.map(professionalIdOfPeer).filter((v): v is string => v !== null);
    return { visitorIds: result as string[], professionalIds };
  }

  /** Someone other than the host leaves (a visitor's visit ends with it); answers how many are left. */
  async leave(call: Call, member: string, now = Date.now()): Promise<number> {
    const visitorId = visitorIdOfPeer(member);
    const result = await runScript(
      this.redis,
      'leaveCall',
      [keys.callMembers(call.orgId, call.id), ...(visitorId ? [keys.visitor(call.orgId, visitorId)] : [])],
      [member, call.id, now],
    );
    if (result === 'not_found') throw notFound('no such call');
    return Number(result);
  }

  /** Asks a colleague into the call (it shows in their history). */
  async invite(call: Call, professionalId: string, maxParticipants: number, now = Date.now()): Promise<void> {
    const result = await runScript(
      this.redis,
      'inviteToCall',
      [keys.organization(call.orgId), keys.call(call.orgId, call.id), keys.callMembers(call.orgId, call.id), keys.history(call.orgId, professionalId)],
      [professionalId, call.id, now, maxParticipants],
    );
    if (result !== 'ok') throw new AppError(result === 'call_full' || result === 'call_ended' ? result : 'not_found');
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
