import type { Services } from '../services.ts';
import type { CallParticipant } from './call-participant.ts';

/** A professional may always share their screen; a visitor only where their organization allows it. */
export async function mayShareScreen(s: Pick<Services, 'organizations'>, p: CallParticipant): Promise<boolean> {
  return p.role === 'professional' || !!(await s.organizations.getOrganization(p.orgId))?.visitorScreenShare;
}
