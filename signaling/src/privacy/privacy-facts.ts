import { keys } from '../redis/keys.ts';
import { BankIdSettingsStore } from '../bankid/bankid-settings-store.ts';
import type { Services } from '../services.ts';

/** The audit log's own retention (issue 7: 12 months by default). */
export const AUDIT_LOG_MONTHS = 12;

/**
 * What an organization's privacy page says, read from its settings and rooms at the time of asking (no
 * copy to keep up to date): only facts about the organization, never about a visitor or a member.
 */
export interface PrivacyFacts {
  organizationName: string;
  retentionDays: number;
  bookkeepingYears: number;
  logRetentionDays: number;
  auditLogMonths: number;
  /** What the rooms' check-in forms ask, across all rooms. */
  form: { name: boolean; phone: boolean; birthDate: boolean; reason: boolean; custom: boolean; accessCode: boolean };
  /** Visitors identify with BankID in at least one room, through this broker. */
  bankId: { brokerHost: string; nationalId: boolean } | null;
  /** At least one room has a price and the server takes card payments (Stripe). */
  payments: boolean;
  /** SMS arrival alerts go to at least one member through Twilio. */
  sms: boolean;
  privacyContact: string | null;
}

/** The facts for an organization, or null if there is no such organization. */
export async function privacyFactsOf(s: Services, orgId: string): Promise<PrivacyFacts | null> {
  const org = await s.organizations.getOrganization(orgId);
  if (!org) return null;
  const [rooms, members, bankIdSettings] = await Promise.all([
    s.organizations.listRooms(orgId),
    s.redis.smembers(keys.professionals(orgId)),
    new BankIdSettingsStore(s.redis, s.fieldCipher).get(orgId),
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
    logRetentionDays: s.config.LOG_RETENTION_DAYS,
    auditLogMonths: AUDIT_LOG_MONTHS,
    form: {
      name: asked((c) => !c.pseudonymous && c.name.enabled),
      phone: asked((c) => c.phone.enabled),
      birthDate: asked((c) => c.birthDate.enabled),
      reason: asked((c) => c.reason.enabled),
      custom: asked((c) => c.custom.length > 0),
      accessCode: asked((c) => c.pseudonymous),
    },
    bankId: bankIdSettings && bankIdRooms.length ? { brokerHost: new URL(bankIdSettings.issuer).host, nationalId: bankIdSettings.collectNationalId } : null,
    payments: s.payments.available && rooms.some((r) => r.price !== null),
    sms: smsMembers > 0,
    privacyContact: org.privacyContact,
  };
}
