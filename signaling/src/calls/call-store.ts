import type { Redis } from 'ioredis';
import { professionalIdOfPeer, visitorIdOfPeer, type HistoryEntry } from '../../protocol/index.ts';
import { keys } from '../redis/keys.ts';
import { endCall, inviteToCall, leaveCall, withdrawCallInvitation } from './call-scripts.ts';
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
    const professionalIds = members.map(professionalIdOfPeer).filter((v): v is string => v !== null);
    const { orgId } = call;
    const result = await endCall.run(this.redis, {
      keys: {
        call: keys.call(orgId, call.id),
        org: keys.organization(orgId),
        roomCallLengths: keys.roomCallLengths(orgId, call.roomId),
        records: [...visitorIds.map((v) => keys.visitor(orgId, v)), ...professionalIds.map((id) => keys.callInvitations(orgId, id))],
      },
      args: { now, lengthsKept: CALL_LENGTHS_KEPT, visitorCount: visitorIds.length },
    });
    if (result === 'not_found') throw notFound();
    if (result === 'call_ended') throw new AppError('call_ended');
    return { visitorIds: result.ended, professionalIds };
  }

  /**
   * Someone other than the host leaves (a visitor's visit ends with it; a colleague asked in who had not
   * joined declines with it); answers how many are left.
   */
  async leave(call: Call, member: string, now = Date.now()): Promise<number> {
    const visitorId = visitorIdOfPeer(member);
    const professionalId = professionalIdOfPeer(member);
    const result = await leaveCall.run(this.redis, {
      keys: {
        callMembers: keys.callMembers(call.orgId, call.id),
        record: visitorId ? keys.visitor(call.orgId, visitorId) : professionalId ? keys.callInvitations(call.orgId, professionalId) : undefined,
      },
      args: { member, callId: call.id, now },
    });
    if (result === 'not_found') throw notFound('no such call');
    return result.left;
  }

  /** `by` asks a colleague into the call (it shows in their history, and among their pending invitations). */
  async invite(call: Call, professionalId: string, by: string, maxParticipants: number, now = Date.now()): Promise<void> {
    const { orgId } = call;
    const result = await inviteToCall.run(this.redis, {
      keys: {
        org: keys.organization(orgId),
        call: keys.call(orgId, call.id),
        callMembers: keys.callMembers(orgId, call.id),
        history: keys.history(orgId, professionalId),
        invitations: keys.callInvitations(orgId, professionalId),
      },
      args: { professionalId, callId: call.id, now, maxParticipants, by },
    });
    if (result !== 'ok') throw new AppError(result === 'call_full' || result === 'call_ended' ? result : 'not_found');
  }

  /** Takes back an ask the colleague has not answered (joined or declined). */
  async withdrawInvitation(call: Call, professionalId: string): Promise<void> {
    const { orgId } = call;
    const result = await withdrawCallInvitation.run(this.redis, {
      keys: {
        call: keys.call(orgId, call.id),
        callMembers: keys.callMembers(orgId, call.id),
        history: keys.history(orgId, professionalId),
        invitations: keys.callInvitations(orgId, professionalId),
      },
      args: { professionalId, callId: call.id },
    });
    if (result === 'call_ended') throw new AppError('call_ended');
    if (result !== 'ok') throw notFound('no such invitation');
  }

  /** The colleague joined the call they were asked into: no longer pending. Answers whether it was. */
  async invitationTaken(orgId: string, professionalId: string, callId: string): Promise<boolean> {
    return (await this.redis.zrem(keys.callInvitations(orgId, professionalId), callId)) === 1;
  }

  /**
   * The calls a professional is asked into and has not joined or declined, oldest first, each with who
   * asked (a member id). Entries of calls that ended or expired (and any the retention has passed) are
   * removed as they are found.
   */
  async pendingInvitations(orgId: string, professionalId: string, retentionMs: number, now = Date.now()): Promise<{ callId: string; invitedBy: string }[]> {
    const key = keys.callInvitations(orgId, professionalId);
    await this.redis.zremrangebyscore(key, '-inf', `(${now - retentionMs}`);
    const callIds = await this.redis.zrange(key, '0', '-1');
    const member = `professional:${professionalId}`;
    // One round trip for all of them (auto-pipelining).
    const [calls, stillMembers] = await Promise.all([
      Promise.all(callIds.map((id) => this.redis.hmget(keys.call(orgId, id), 'state', `invitedBy:${professionalId}`))),
      Promise.all(callIds.map((id) => this.redis.sismember(keys.callMembers(orgId, id), member))),
    ]);
    const pending: { callId: string; invitedBy: string }[] = [];
    const gone: string[] = [];
    callIds.forEach((callId, i) => {
      const [state, invitedBy] = calls[i]!;
      if (state === 'active' && stillMembers[i] === 1) pending.push({ callId, invitedBy: invitedBy ?? '' });
      else gone.push(callId);
    });
    if (gone.length) await this.redis.zrem(key, ...gone);
    return pending;
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
