import { appointmentTime, visitorLinkOf, type ApiSmsInvitationSent, type TimeLanguage } from '../../protocol/index.ts';
import type { SmsSender } from '../alerts/sms-sender.ts';
import { noteSentSms } from '../alerts/sent-sms.ts';
import { AppError } from '../errors.ts';
import type { Services } from '../services.ts';
import type { ConsultationRecord } from '../consultations/consultation-store.ts';
import type { ApiCaller } from './api-key-store.ts';

const DAY_MS = 86_400_000;

/**
 * The visitor's link by SMS, for EHR systems. SMS pumping (someone making us text premium or far-away
 * numbers at our cost) is held off three ways: only the country codes this deployment allows, and a daily
 * count per API key and per organization. The text names no one and nothing about health. Twilio's id of
 * the message is kept on the consultation, so the visitor's erasure deletes Twilio's copy too.
 */
export class SmsInvitations {
  constructor(
    private readonly s: Services,
    private readonly sender: SmsSender | null,
  ) {}

  async send(caller: ApiCaller, consultation: ConsultationRecord, phone: string | undefined, language?: TimeLanguage): Promise<ApiSmsInvitationSent> {
    const { s } = this;
    if (!this.sender) throw new AppError('sms_unavailable', 'SMS is not set up on this server');
    if (consultation.state === 'cancelled' || consultation.state === 'ended') throw new AppError('consultation_closed', 'the consultation was cancelled or has ended');
    const to = phone ?? consultation.prefill.phone;
    if (!to) throw new AppError('bad_request', 'phone: no number given, and none prefilled');
    if (!s.config.apiSmsCountryCodes.some((code) => to.startsWith(code))) {
      throw new AppError('phone_not_allowed', `phone: this service sends SMS to ${s.config.apiSmsCountryCodes.join(' ')} only`);
    }
    // Counted before sending, so a flood of refused attempts also counts (it is the attempts that cost).
    const perKey = await s.rateLimiter.allow('api-sms-key', caller.keyId, s.config.API_SMS_PER_KEY_PER_DAY, DAY_MS);
    const perOrg = perKey && (await s.rateLimiter.allow('api-sms-org', caller.orgId, s.config.API_SMS_PER_ORGANIZATION_PER_DAY, DAY_MS));
    if (!perKey) throw new AppError('rate_limited', `at most ${s.config.API_SMS_PER_KEY_PER_DAY} SMS invitations a day per API key`);
    if (!perOrg) throw new AppError('rate_limited', `at most ${s.config.API_SMS_PER_ORGANIZATION_PER_DAY} SMS invitations a day per organization`);
    const token = await s.consultations.linkTokenOf(caller.orgId, consultation.id);
    if (!token) throw new AppError('internal', 'the link cannot be read');
    const link = visitorLinkOf(s.config.PUBLIC_ORIGIN, token);
    const sid = await this.sender.send(to, `${await this.text(caller.orgId, consultation.scheduledAt, language)} ${link}`);
    await s.consultations.noteSms(caller.orgId, consultation.id, sid);
    await noteSentSms(s.redis, caller.orgId, sid);
    s.log.info({ orgId: caller.orgId, consultationId: consultation.id }, 'SMS invitation sent');
    return { status: 'sent', to: `${'*'.repeat(Math.max(0, to.length - 3))}${to.slice(-3)}` };
  }

  /** The invitation in the visitor's language (both where unknown), its time at the organization's clock. */
  private async text(orgId: string, scheduledAt: number | null, language: TimeLanguage | undefined): Promise<string> {
    const zone = scheduledAt ? await this.s.organizations.timeZoneOf(orgId) : '';
    const en = scheduledAt ? `your video consultation on ${appointmentTime(scheduledAt, zone, 'en')}.` : 'your video consultation.';
    const nb = scheduledAt ? `din videokonsultasjon ${appointmentTime(scheduledAt, zone, 'nb')}.` : 'din videokonsultasjon.';
    if (language === 'en') return `Consult: ${en}`;
    if (language === 'nb') return `Consult: ${nb}`;
    return `Consult: ${en} / ${nb[0]!.toUpperCase()}${nb.slice(1)}`;
  }
}
