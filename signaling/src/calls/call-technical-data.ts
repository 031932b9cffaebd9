import type { Redis } from 'ioredis';
import { keys } from '../redis/keys.ts';
import { pushRetained } from '../retention/retained-scripts.ts';
import type { CallParticipant } from './call-participant.ts';

/** The most entries kept per call (a long call reports every few seconds). */
const KEPT = 500;

/**
 * What happened technically in a call, as the privacy promise names it: network quality and in-call
 * actions (mute, camera). No names, no content: a role, a time, and the figures. Kept for the
 * organization's retention period, like the call.
 */
export async function recordTechnicalData(
  redis: Redis,
  orgId: string,
  callId: string,
  entry: { role: 'visitor' | 'professional' } & ({ kind: 'quality'; rating: string; lossPercent: number; rttMs: number } | { kind: 'action'; action: string }),
): Promise<void> {
  await pushRetained.run(redis, { keys: { org: keys.organization(orgId), list: keys.callTechnicalData(orgId, callId) }, args: { value: JSON.stringify({ at: Date.now(), ...entry }), kept: KEPT } });
}

/** An in-call action (mute, camera, screen share, sound only); one that cannot be kept does not fail the action. */
export function recordCallAction(redis: Redis, p: CallParticipant, callId: string, action: string): Promise<void> {
  return recordTechnicalData(redis, p.orgId, callId, { role: p.role, kind: 'action', action }).catch(() => undefined);
}
