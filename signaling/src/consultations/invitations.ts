import type { z } from 'zod';
import { scheduledTimeProblem, type ConsultationCreated, type consultationRequest, type InvitationChannel, type InvitationStatus, type UpcomingConsultation } from '../../protocol/index.ts';
import { AppError, badField } from '../errors.ts';
import type { Services } from '../services.ts';
import type { ConsultationRecord } from './consultation-store.ts';
import type { InvitationSms } from './invitation-sms.ts';
import type { Reminders } from './reminders.ts';
import { cancellerKind, scheduleConsultation } from './schedule.ts';

/**
 * A professional's consultation with its invitation: the link goes to the visitor by SMS and/or e-mail in
 * their language. Whatever would be refused (no SMS or e-mail on this server, a number outside the
 * countries we text, a spent daily budget, a bad time) is refused before anything is made; once made, a
 * consultation stays even if its SMS could not be handed over (the professional sees that, and has the link).
 */
export class ConsultationInvitations {
  constructor(
    private readonly s: Services,
    private readonly sms: InvitationSms,
    private readonly reminders: Reminders,
  ) {}

  async schedule(orgId: string, professionalId: string, body: z.output<typeof consultationRequest>, now = Date.now()): Promise<ConsultationCreated> {
    const { s } = this;
    const scheduledAt = body.scheduledAt ?? null;
    const problem = scheduledAt !== null ? scheduledTimeProblem(scheduledAt, now) : null;
    if (problem) throw badField('scheduledAt', problem);
    if (body.email && !s.email.available) throw new AppError('email_unavailable', 'e-mail is not set up on this server');
    if (body.phone) {
      const perMember = s.config.API_SMS_PER_KEY_PER_DAY;
      await this.sms.admit(body.phone, [
        { counter: 'sms-invitation-member', id: `${orgId}:${professionalId}`, perDay: perMember, refusal: `at most ${perMember} SMS invitations a day per member` },
        this.sms.organizationBudget(orgId),
      ]);
    }
    const channels: InvitationChannel[] = [...(body.phone ? (['sms'] as const) : []), ...(body.email ? (['email'] as const) : [])];
    const { consultation, visitorLink } = await scheduleConsultation(
      s,
      {
        orgId,
        roomId: body.roomId,
        professionalId,
        scheduledAt,
        ...(body.phone ? { prefill: { phone: body.phone } } : {}),
        ...(channels.length ? { invitation: { channels, ...(body.language ? { language: body.language } : {}), ...(body.email ? { email: body.email } : {}) } } : {}),
      },
      now,
    );
    if (channels.length && scheduledAt !== null) await this.reminders.plan(orgId, consultation.id, scheduledAt, now);
    const invitation: InvitationStatus = {};
    if (body.phone) {
      invitation.sms = await this.sms.send(orgId, consultation.id, scheduledAt, body.phone, body.language).then(
        () => 'sent' as const,
        (err: Error) => {
          s.log.warn({ orgId, consultationId: consultation.id, err: err.message }, 'SMS invitation could not be sent');
          return 'failed' as const;
        },
      );
      await s.consultations.noteSmsInvitation(orgId, consultation.id, invitation.sms);
    }
    if (body.email) {
      invitation.email = await s.email
        .enqueue(
          orgId,
          { kind: 'consultation-invitation', consultationId: consultation.id, to: body.email, language: body.language ?? 'en', scheduledAt, link: visitorLink },
          { dedupeKey: `invitation:${consultation.id}` },
        )
        .then(
          () => 'queued' as const,
          (err: Error) => {
            s.log.warn({ orgId, consultationId: consultation.id, err: err.message }, 'e-mail invitation could not be queued');
            return 'failed' as const;
          },
        );
    }
    return { consultationId: consultation.id, visitorLink, scheduledAt, invitation };
  }

  /** A consultation as the professional's list shows it, with what became of its e-mails. */
  async upcomingView(orgId: string, r: ConsultationRecord, roomName: string): Promise<UpcomingConsultation> {
    const { s } = this;
    const invitation: UpcomingConsultation['invitation'] = {
      ...(r.invitation.language ? { language: r.invitation.language } : {}),
      ...(r.invitation.sms ? { sms: r.invitation.sms } : {}),
    };
    if (r.invitation.channels.includes('email')) {
      const mail = (await s.email.deliveriesOf(orgId, r.id)).filter((d) => d.kind === 'consultation-invitation').at(-1);
      invitation.email = mail?.status ?? 'queued';
    }
    const by = cancellerKind(r.cancelledBy);
    let memberName: string | undefined;
    if (by === 'member') memberName = (await s.organizations.getProfessional(orgId, r.cancelledBy!.slice('member:'.length)))?.name;
    return {
      consultationId: r.id,
      roomId: r.roomId,
      roomName,
      scheduledAt: r.scheduledAt,
      state: r.state,
      invitation,
      cancelled: r.state === 'cancelled' ? { at: r.cancelledAt ?? 0, by: by ?? 'member', ...(memberName ? { memberName } : {}) } : null,
    };
  }
}
