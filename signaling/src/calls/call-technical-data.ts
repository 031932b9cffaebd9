import { keys } from '../redis/keys.ts';
import { pushRetained } from '../retention/retained-scripts.ts';
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
  await pushRetained.run(s.redis, { keys: { org: keys.organization(orgId), list: keys.callTechnicalData(orgId, callId) }, args: { value: JSON.stringify({ at: Date.now(), ...entry }), kept: KEPT } });
}
