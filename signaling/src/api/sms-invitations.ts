import type { ApiSmsInvitationSent, TimeLanguage } from '../../protocol/index.ts';
import { AppError, badField } from '../errors.ts';
import type { Services } from '../services.ts';
import type { ConsultationRecord } from '../consultations/consultation-store.ts';
import { maskedPhone, type InvitationSms } from '../consultations/invitation-sms.ts';
import type { ApiCaller } from './api-key-store.ts';

/**
 * The visitor's link by SMS, for EHR systems: within the daily budget of the API key and of the
 * organization (shared with the dashboard's invitations), see InvitationSms.
 */
export class SmsInvitations {
  constructor(
    private readonly s: Pick<Services, 'config'>,
    private readonly sms: InvitationSms,
  ) {}

  async send(caller: ApiCaller, consultation: ConsultationRecord, phone: string | undefined, language?: TimeLanguage): Promise<ApiSmsInvitationSent> {
    const { s } = this;
    if (!this.sms.available) throw new AppError('sms_unavailable', 'SMS is not set up on this server');
    if (consultation.state === 'cancelled' || consultation.state === 'ended') throw new AppError('consultation_closed', 'the consultation was cancelled or has ended');
    const to = phone ?? consultation.prefill.phone;
    if (!to) throw badField('phone', 'no number given, and none prefilled');
    const perKey = s.config.API_SMS_PER_KEY_PER_DAY;
    await this.sms.admit(to, [
      { counter: 'api-sms-key', id: caller.keyId, perDay: perKey, refusal: `at most ${perKey} SMS invitations a day per API key` },
      this.sms.organizationBudget(caller.orgId),
    ]);
    await this.sms.send(caller.orgId, consultation.id, consultation.scheduledAt, to, language);
    return { status: 'sent', to: maskedPhone(to) };
  }
}
