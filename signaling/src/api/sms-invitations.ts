import { appointmentTime, visitorLinkOf, type ApiSmsInvitationSent, type TimeLanguage } from '../../protocol/index.ts';
import type { SmsSender } from '../alerts/sms-sender.ts';
import { noteSentSms } from '../alerts/sent-sms.ts';
import { AppError } from '../errors.ts';
import type { Services } from '../services.ts';
import type { ConsultationRecord } from '../consultations/consultation-store.ts';
import type { ApiCaller } from './api-key-store.ts';

const DAY_MS = 86_400_000;

/**
 * What the SMS says in each language, after "Consult: " and before the link; {time} is the appointment as
 * the language writes it (Intl, at the organization's clock). Nothing about the person or their health.
 */
export const SMS_INVITATION_TEXT: Record<TimeLanguage, { at: string; unscheduled: string }> = {
  en: { at: 'your video consultation on {time}.', unscheduled: 'your video consultation.' },
  nb: { at: 'din videokonsultasjon {time}.', unscheduled: 'din videokonsultasjon.' },
  nn: { at: 'videokonsultasjonen din {time}.', unscheduled: 'videokonsultasjonen din.' },
  sv: { at: 'din videokonsultation {time}.', unscheduled: 'din videokonsultation.' },
  da: { at: 'din videokonsultation {time}.', unscheduled: 'din videokonsultation.' },
};

export const invitationText = (lang: TimeLanguage, time: string | null): string =>
  time === null ? SMS_INVITATION_TEXT[lang].unscheduled : SMS_INVITATION_TEXT[lang].at.replace('{time}', time);

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

  /** The invitation in the visitor's language (English and bokmål where unknown), its time at the organization's clock. */
  private async text(orgId: string, scheduledAt: number | null, language: TimeLanguage | undefined): Promise<string> {
    const zone = scheduledAt ? await this.s.organizations.timeZoneOf(orgId) : '';
    const say = (lang: TimeLanguage) => invitationText(lang, scheduledAt === null ? null : appointmentTime(scheduledAt, zone, lang));
    if (language) return `Consult: ${say(language)}`;
    const nb = say('nb');
    return `Consult: ${say('en')} / ${nb[0]!.toUpperCase()}${nb.slice(1)}`;
  }
}
