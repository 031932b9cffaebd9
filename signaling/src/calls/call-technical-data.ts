import { keys } from '../redis/keys.ts';
import type { Services } from '../services.ts';

/** The most entries kept per call (a long call reports every few seconds). */
const KEPT = 500;

/**
 * What happened technically in a call, as the privacy promise names it: network quality and in-call
 * actions (mute, camera). No names, no content: a role, a time, and the figures. Kept for the
 * organization's retention period, like the call.
 */
export async function recordTechnicalData(
  s: Services,
  orgId: string,
  callId: string,
  entry: { role: 'visitor' | 'professional' } & ({ kind: 'quality'; rating: string; lossPercent: number; rttMs: number } | { kind: 'action'; action: string }),
): Promise<void> {
  const org = await s.organizations.getOrganization(orgId);
  const key = keys.callTechnicalData(orgId, callId);
  await s.redis
    .multi()
    .lpush(key, JSON.stringify({ at: Date.now(), ...entry }))
    .ltrim(key, 0, KEPT - 1)
    .pexpire(key, (org?.retentionDays ?? 1) * 86_400_000)
    .exec();
}
