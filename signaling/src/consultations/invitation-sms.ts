import { appointmentTime, visitorLinkOf, type TimeLanguage } from '../../protocol/index.ts';
import type { SmsSender } from '../alerts/sms-sender.ts';
import { noteSentSms } from '../alerts/sent-sms.ts';
import { AppError, badField } from '../errors.ts';
import type { Services } from '../services.ts';

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

/** The reminder before a scheduled consultation, the same way (a reminder is only for a consultation with a time). */
export const SMS_REMINDER_TEXT: Record<TimeLanguage, { at: string }> = {
  en: { at: 'a reminder of your video consultation on {time}.' },
  nb: { at: 'påminnelse om videokonsultasjonen din {time}.' },
  nn: { at: 'påminning om videokonsultasjonen din {time}.' },
  sv: { at: 'påminnelse om din videokonsultation {time}.' },
  da: { at: 'påmindelse om din videokonsultation {time}.' },
};

/** A daily budget of SMS invitations: who is counted (an API key, a member, the organization) and how many they may send. */
export interface SmsBudget {
  counter: string;
  id: string;
  perDay: number;
  /** What the refusal says. */
  refusal: string;
}

/**
 * The visitor's link by SMS, for the API and the dashboard alike. SMS pumping (someone making us text
 * premium or far-away numbers at our cost) is held off two ways: only the country codes this deployment
 * allows, and daily budgets (per API key or member, and per organization). The text names no one and
 * nothing about health. Twilio's id of each message is kept on the consultation and in the organization's
 * sent-SMS record, so an erasure, and retention, delete Twilio's copy too.
 */
export class InvitationSms {
  constructor(
    private readonly s: Services,
    private readonly sender: SmsSender | null,
  ) {}

  get available(): boolean {
    return this.sender !== null;
  }

  /** Refuses (and sends nothing) unless this number may be texted now; counts the attempt against each budget. */
  async admit(to: string, budgets: SmsBudget[]): Promise<void> {
    const { s } = this;
    if (!this.sender) throw new AppError('sms_unavailable', 'SMS is not set up on this server');
    if (!s.config.apiSmsCountryCodes.some((code) => to.startsWith(code))) {
      throw badField('phone', `this service sends SMS to ${s.config.apiSmsCountryCodes.join(' ')} only`, 'phone_not_allowed');
    }
    // Counted before sending, so a flood of refused attempts also counts (it is the attempts that cost).
    for (const budget of budgets) {
      if (!(await s.rateLimiter.allow(budget.counter, budget.id, budget.perDay, DAY_MS))) throw new AppError('rate_limited', budget.refusal);
    }
  }

  /** The budget every SMS invitation of an organization shares, from the API and the dashboard. */
  organizationBudget(orgId: string): SmsBudget {
    const perDay = this.s.config.API_SMS_PER_ORGANIZATION_PER_DAY;
    return { counter: 'api-sms-org', id: orgId, perDay, refusal: `at most ${perDay} SMS invitations a day per organization` };
  }

  /**
   * Sends the consultation's link to `to` (admitted before), as its invitation or a reminder of it, and
   * notes the message for deletion at Twilio.
   */
  async send(orgId: string, consultationId: string, scheduledAt: number | null, to: string, language: TimeLanguage | undefined, kind: 'invitation' | 'reminder' = 'invitation'): Promise<void> {
    const { s } = this;
    if (!this.sender) throw new AppError('sms_unavailable', 'SMS is not set up on this server');
    const token = await s.consultations.linkTokenOf(orgId, consultationId);
    if (!token) throw new AppError('internal', 'the link cannot be read');
    const link = visitorLinkOf(s.config.PUBLIC_ORIGIN, token);
    const sid = await this.sender.send(to, `${await this.text(orgId, scheduledAt, language, kind)} ${link}`);
    await s.consultations.noteSms(orgId, consultationId, sid);
    await noteSentSms(s.redis, orgId, sid);
    s.log.info({ orgId, consultationId }, kind === 'reminder' ? 'SMS reminder sent' : 'SMS invitation sent');
  }

  /** The invitation in the visitor's language (English and bokmål where unknown), its time at the organization's clock. */
  private async text(orgId: string, scheduledAt: number | null, language: TimeLanguage | undefined, kind: 'invitation' | 'reminder'): Promise<string> {
    const zone = scheduledAt ? await this.s.organizations.timeZoneOf(orgId) : '';
    const say = (lang: TimeLanguage) =>
      kind === 'reminder' && scheduledAt !== null
        ? SMS_REMINDER_TEXT[lang].at.replace('{time}', appointmentTime(scheduledAt, zone, lang))
        : invitationText(lang, scheduledAt === null ? null : appointmentTime(scheduledAt, zone, lang));
    if (language) return `Consult: ${say(language)}`;
    const nb = say('nb');
    return `Consult: ${say('en')} / ${nb[0]!.toUpperCase()}${nb.slice(1)}`;
  }
}

/** A phone shown to someone who may not see all of it: the last three digits. */
export const maskedPhone = (to: string) => `${'*'.repeat(Math.max(0, to.length - 3))}${to.slice(-3)}`;
