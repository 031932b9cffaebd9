import { MAX_CALL_PARTICIPANTS, type CallInvitation } from '../../protocol/index.ts';
import { AppError, notFound } from '../errors.ts';
import { retentionMsOf } from '../organizations/organization-store.ts';
import type { Services } from '../services.ts';
import { activeCallOf } from './call-access.ts';
import { mediaParticipantId, type CallParticipant } from './call-participant.ts';
import type { CallSockets } from './call-sockets.ts';

/** Colleagues asked into a call (a second opinion, a handover): asked, withdrawn, taken, and listed. */
export class CallInvitations {
  constructor(
    private readonly sockets: CallSockets,
    private readonly s: Pick<Services, 'calls' | 'waitingRoom' | 'organizations' | 'notify' | 'log'>,
  ) {}

  /**
   * Asks a colleague into the call. Their dashboard offers to join; they see the call once they do, and
   * everyone in it sees them arrive before any of their media.
   */
  async invite(p: CallParticipant, callId: string, professionalId: string): Promise<void> {
    if (p.role !== 'professional') throw notFound('no such call');
    const call = await activeCallOf(this.s, p, callId);
    if (professionalId === p.id) throw new AppError('bad_request', 'professionalId: you are in the call already');
    const [colleague, inviter] = await Promise.all([
      this.s.organizations.getProfessional(p.orgId, professionalId),
      this.s.organizations.getProfessional(p.orgId, p.id),
    ]);
    if (!colleague) throw notFound('no such colleague');
    await this.s.calls.invite(call, professionalId, p.id, MAX_CALL_PARTICIPANTS);
    this.s.log.info({ callId, orgId: p.orgId, professionalId: p.id, invited: professionalId }, 'colleague asked into a call');
    this.s.notify.callInvited(p.orgId, professionalId, { callId, by: inviter?.name ?? '' });
  }

  /**
   * Takes back an ask into this call the colleague has not answered. A join of theirs under way here
   * stops (the ask was gone when it finishes); their dashboards stop offering the call.
   */
  async withdraw(p: CallParticipant, callId: string, professionalId: string): Promise<void> {
    if (p.role !== 'professional') throw notFound('no such call');
    const call = await activeCallOf(this.s, p, callId);
    await this.s.calls.withdrawInvitation(call, professionalId);
    const asked = mediaParticipantId({ role: 'professional', orgId: p.orgId, id: professionalId });
    if (this.sockets.joined.get(callId)?.has(asked) || [...this.sockets.joining].some((a) => a.callId === callId && a.participantId === asked)) {
      this.sockets.dropParticipant(callId, asked);
    }
    this.s.log.info({ callId, orgId: p.orgId, professionalId: p.id, withdrawn: professionalId }, 'ask into a call withdrawn');
    this.s.notify.callInvitationsChanged(p.orgId, professionalId);
  }

  /** A colleague joined the call they were asked into: their other dashboards stop offering it. */
  taken(orgId: string, professionalId: string, callId: string): void {
    this.s.calls.invitationTaken(orgId, professionalId, callId).then(
      (taken) => taken && this.s.notify.callInvitationsChanged(orgId, professionalId),
      (err: Error) => this.s.log.warn({ callId, err: err.message }, 'could not mark an invitation as taken'),
    );
  }

  /**
   * The calls this professional is asked into and has not joined or declined: stored, so a dashboard that
   * was connecting, away or reconnecting when asked offers them all the same. Only the call's id and who
   * asked: nothing of the call itself until they join it.
   */
  async pending(p: CallParticipant): Promise<CallInvitation[]> {
    if (p.role !== 'professional') return [];
    const org = await this.s.organizations.getOrganization(p.orgId);
    const pending = await this.s.calls.pendingInvitations(p.orgId, p.id, retentionMsOf(org));
    const inviters = [...new Set(pending.map((i) => i.invitedBy).filter((id) => id !== ''))];
    const names = new Map(await Promise.all(inviters.map(async (id) => [id, (await this.s.organizations.getProfessional(p.orgId, id))?.name ?? ''] as const)));
    return pending.map(({ callId, invitedBy }) => ({ callId, by: names.get(invitedBy) ?? '' }));
  }
}
