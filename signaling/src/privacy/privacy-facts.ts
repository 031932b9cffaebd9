import { keys } from '../redis/keys.ts';
import { BankIdSettingsStore } from '../bankid/bankid-settings-store.ts';
import { FLOW_COOKIE_MINUTES } from '../bankid/bankid.ts';
import type { Services } from '../services.ts';
import { consultationEventTypes, type ConsultationEventType } from '../../protocol/index.ts';

/**
 * What an organization's privacy page says, read from its settings and rooms at the time of asking (no
 * copy to keep up to date): only facts about the organization, never about a visitor or a member.
 */
export interface PrivacyFacts {
  organizationName: string;
  retentionDays: number;
  bookkeepingYears: number;
  /**
   * Days the server keeps its log files (LOG_RETENTION_DAYS), or null where it writes to stdout (no LOG_DIR):
   * then whatever collects them keeps them, and no figure of ours would be true.
   */
  logRetentionDays: number | null;
  /** The organization's own audit retention (its admins set it on the audit log page). */
  auditRetentionDays: number;
  /** What the rooms' check-in forms ask, across all rooms. */
  form: { name: boolean; phone: boolean; birthDate: boolean; reason: boolean; custom: boolean; accessCode: boolean };
  /** Visitors identify with BankID in at least one room, through this broker. */
  bankId: { brokerHost: string; nationalId: boolean; cookieMinutes: number } | null;
  /** At least one room has a price and the server takes card payments (Stripe). */
  payments: boolean;
  /**
   * What Twilio gets: staff's numbers for arrival alerts (a member opted in), and visitors' numbers for
   * invitations and reminders (any member may send one from the dashboard, the record system through an
   * API key), on a server with SMS.
   */
  sms: { staffAlerts: boolean; visitorInvitations: boolean };
  /**
   * How a visitor may be invited to a consultation (SMS and e-mail: what this server sends), the minutes
   * before it their reminders go (the organization's setting; empty: none), and whether a receipt for a
   * card payment goes to the address they were invited at.
   */
  invitations: { sms: boolean; email: boolean; reminderMinutes: number[]; emailReceipts: boolean };
  /** The SMTP server's host this deployment sends e-mail through (never its user or password), or null without e-mail. */
  emailProvider: string | null;
  /** The country whose supervisory authority a visitor may complain to: the organization's, from its time zone; null where we cannot tell. */
  authorityCountry: AuthorityCountry | null;
  /**
   * The organization's record system (EHR): through an API key it may prefill the visitor's name and phone
   * and reads the consultation's times; its webhook endpoints are told of the events they subscribe to, no
   * others: hosts that hear the same events together, each host once, with all its endpoints' events.
   */
  ehr: { api: boolean; webhooks: { hosts: string[]; events: ConsultationEventType[] }[] };
  /** The deployment's hosting provider (HOSTING_PROVIDER), or null where the operator named none (not in production). */
  hostingProvider: string | null;
  privacyContact: string | null;
}

export type AuthorityCountry = 'NO' | 'SE' | 'DK';

/**
 * The organization's country as its time zone tells it (the one setting that says where it is): the
 * supervisory authority named on the page is that country's, whatever language the page is read in.
 */
export function authorityCountryOf(timeZone: string): AuthorityCountry | null {
  return ({ 'Europe/Oslo': 'NO', 'Arctic/Longyearbyen': 'NO', 'Europe/Stockholm': 'SE', 'Europe/Copenhagen': 'DK' } as const)[timeZone] ?? null;
}

/** The SMTP server's host name, from SMTP_URL (without its user and password) or SMTP_HOST. */
function smtpHostOf(config: Services['config']): string | null {
  if (config.SMTP_URL) {
    try {
      return new URL(config.SMTP_URL).hostname || null;
    } catch {
      return null;
    }
  }
  return config.SMTP_HOST ?? null;
}

/** The facts for an organization, or null if there is no such organization. */
export async function privacyFactsOf(s: Services, orgId: string): Promise<PrivacyFacts | null> {
  const org = await s.organizations.getOrganization(orgId);
  if (!org) return null;
  const [rooms, members, bankIdSettings, auditRetentionDays, apiKeyCount, webhookEndpoints] = await Promise.all([
    s.organizations.listRooms(orgId),
    s.redis.smembers(keys.professionals(orgId)),
    new BankIdSettingsStore(s.redis, s.fieldCipher).get(orgId),
    s.audit.retentionDays(orgId),
    s.redis.scard(keys.apiKeys(orgId)),
    s.webhooks.store.listEndpoints(orgId),
  ]);
  const asked = (pick: (c: (typeof rooms)[number]['checkIn']) => boolean) => rooms.some((r) => pick(r.checkIn));
  const bankIdRooms = bankIdSettings ? rooms.filter((r) => r.checkIn.bankId) : [];
  const smsConfigured = !!(s.config.TWILIO_ACCOUNT_SID && s.config.TWILIO_AUTH_TOKEN && s.config.TWILIO_FROM);
  const smsMembers = smsConfigured
    ? (await Promise.all(members.map((id) => s.redis.hget(keys.professional(orgId, id), 'smsVerified')))).filter((v) => v === '1').length
    : 0;
  return {
    organizationName: org.name,
    retentionDays: org.retentionDays,
    bookkeepingYears: org.bookkeepingYears,
    logRetentionDays: s.config.LOG_DIR ? s.config.LOG_RETENTION_DAYS : null,
    auditRetentionDays,
    form: {
      name: asked((c) => !c.pseudonymous && c.name.enabled),
      phone: asked((c) => c.phone.enabled),
      birthDate: asked((c) => c.birthDate.enabled),
      reason: asked((c) => c.reason.enabled),
      custom: asked((c) => c.custom.length > 0),
      accessCode: asked((c) => c.pseudonymous),
    },
    bankId: bankIdSettings && bankIdRooms.length ? { brokerHost: new URL(bankIdSettings.issuer).host, nationalId: bankIdSettings.collectNationalId, cookieMinutes: FLOW_COOKIE_MINUTES } : null,
    payments: s.payments.available && rooms.some((r) => r.price !== null),
    sms: { staffAlerts: smsMembers > 0, visitorInvitations: smsConfigured },
    invitations: {
      sms: smsConfigured,
      email: s.email.available,
      reminderMinutes: smsConfigured || s.email.available ? [...org.reminderMinutes].sort((a, b) => b - a) : [],
      emailReceipts: s.email.available && s.payments.available && rooms.some((r) => r.price !== null),
    },
    emailProvider: s.email.available ? smtpHostOf(s.config) : null,
    authorityCountry: authorityCountryOf(org.timeZone),
    ehr: { api: apiKeyCount > 0, webhooks: webhooksByEvents(webhookEndpoints) },
    hostingProvider: s.config.HOSTING_PROVIDER ?? null,
    privacyContact: org.privacyContact,
  };
}

/** Each host with the events its endpoints subscribe to (in the protocol's order), hosts hearing the same grouped. */
function webhooksByEvents(endpoints: { url: string; events: ConsultationEventType[] }[]): PrivacyFacts['ehr']['webhooks'] {
  const byHost = new Map<string, Set<ConsultationEventType>>();
  for (const e of endpoints) {
    const host = new URL(e.url).host;
    const events = byHost.get(host) ?? new Set();
    for (const event of e.events) events.add(event);
    byHost.set(host, events);
  }
  const groups = new Map<string, { hosts: string[]; events: ConsultationEventType[] }>();
  for (const host of [...byHost.keys()].sort()) {
    const events = consultationEventTypes.filter((t) => byHost.get(host)!.has(t));
    const key = events.join(',');
    const group = groups.get(key) ?? { hosts: [], events };
    group.hosts.push(host);
    groups.set(key, group);
  }
  return [...groups.values()];
}
