import { z } from 'zod';
import { email, id, password, personName, professionalMessage, roomSlug } from './common.ts';
import { bookkeepingYears, type RoomPrice } from './payments.ts';
import { timeZone } from './time.ts';
import { language } from './language.ts';
import type { CheckInConfig, CheckInStep } from './check-in.ts';
import { deviceCheckReport } from './network-check.ts';

/** A scheduled consultation's private link: `<org>.<consultation>.<secret>` (the secret 256 random bits). */
export const consultationToken = z.string().regex(/^[0-9a-f]{32}\.[0-9a-f]{32}\.[A-Za-z0-9_-]{43}$/);

/**
 * The page of a consultation's link: `/c/<org>.<consultation>#<secret>`. The secret is in the fragment,
 * which browsers send to no server (no access log, proxy or Referer sees it); the page reads it and sends
 * the whole token in request bodies only.
 */
export const consultationPage = z.string().regex(/^[0-9a-f]{32}\.[0-9a-f]{32}$/);
/** How links looked before: the secret in the path. Still opened (links already sent), never made. */
export const consultationPageWithSecret = consultationToken;
export const visitorLinkOf = (origin: string, token: string) => {
  const cut = token.lastIndexOf('.');
  return `${origin}/c/${token.slice(0, cut)}#${token.slice(cut + 1)}`;
};

/** POST /api/consultations/link: what the visitor's page shows for the link (a RoomInfo). */
export const consultationLinkRequest = z.strictObject({ token: consultationToken });

/**
 * The answers to a room's check-in form, bounded in size here and checked field by field against the
 * schema built from the room's form (checkInAnswersSchema) once the room is known.
 */
const answers = z.record(z.string().max(40), z.unknown()).refine((a) => JSON.stringify(a).length <= 20_000, { error: 'too_large' });

/** POST /api/visits: a visitor knocks on a room, or checks in for their scheduled consultation. */
export const visitRequest = z.union([
  z.strictObject({ roomSlug, answers, deviceCheck: deviceCheckReport.optional() }),
  z.strictObject({ consultation: consultationToken, answers, deviceCheck: deviceCheckReport.optional() }),
]);
export type VisitRequest = z.input<typeof visitRequest>;
export interface VisitResponse {
  /** Secret (256 random bits plus routing ids); kept in the browser's local storage until the visit ends. */
  visitorToken: string;
  visitorId: string;
  /** Steps still to do before waiting (BankID, payment), in order; none: the visitor is waiting already. */
  steps: CheckInStep[];
}

/** GET /api/rooms/:slug */
export interface RoomInfo {
  name: string;
  /** Who the visitor is told is expecting them: the professional of a personal room, or a shared room's name. */
  professionalName: string;
  /** For a scheduled consultation's link: when the appointment is. */
  appointmentAt?: number;
  /** The organization's time zone: the visitor's pages show every time at its clock, not the browser's. */
  timeZone: string;
  /** What the room asks before the visitor waits. */
  checkIn: CheckInConfig;
  /** What a consultation in this room costs (paid by card before waiting), or null: free. */
  price: RoomPrice | null;
  /** For a consultation's link: what the clinic's system filled in for the visitor (they may change it). */
  prefill?: { name?: string; phone?: string };
  /**
   * For a consultation's link: \`open\` (it checks in), \`in_use\` (someone who came with it is checking in,
   * waiting or in the call), \`ended\` (its call is over) or \`cancelled\`.
   */
  linkState?: ConsultationLinkState;
  /** A cancelled consultation's link: whether its visitor cancelled it from the link, or the clinic did. */
  cancelledBy?: 'visitor' | 'clinic';
  /** The organization's privacy page (a path), linked wherever the visitor is asked for personal data. */
  privacyPage: string;
}

export type ConsultationLinkState = 'open' | 'in_use' | 'ended' | 'cancelled';

/** POST /api/auth/login */
export const loginRequest = z.strictObject({ email, password });
export type LoginRequest = z.input<typeof loginRequest>;

/** GET /api/auth/me (also the answer to a successful login). */
export interface Me {
  professional: { id: string; name: string; email: string; role: 'professional' | 'admin' };
  /** timeZone: the zone the dashboard shows every time in (the organization's, not the browser's). */
  organization: { id: string; name: string; timeZone: string };
  /**
   * A step of logging in still to take before anything else: the second factor (or setting it up, at
   * first login), then a new password if an admin reset it. Null once logged in.
   */
  pending: 'second-factor' | 'second-factor-setup' | 'password-change' | null;
  /** Sent back in the X-CSRF-Token header on every state-changing request. */
  csrfToken: string;
}

/** POST /api/auth/second-factor: a 6-digit code from the app, or a recovery code. */
export const secondFactorRequest = z.strictObject({ code: z.string().trim().min(6).max(20) });

/** GET /api/auth/second-factor/setup */
export interface SecondFactorSetupInfo {
  secret: string;
  otpauthUri: string;
  qrSvg: string;
}

/** POST /api/auth/second-factor/setup: the first code from the app turns it on; the recovery codes are shown once. */
export interface SecondFactorEnabled {
  recoveryCodes: string[];
  me: Me;
}

/** GET /api/history */
export interface HistoryEntry {
  callId: string;
  visitorName: string;
  roomName: string;
  startedAt: number;
  endedAt: number | null;
  /** Seconds; null while the call is going on. */
  lengthSeconds: number | null;
}
export interface HistoryResponse {
  calls: HistoryEntry[];
}

export const roomSlugParam = roomSlug;

// ---------- the organization, managed by its admins ----------

export const memberRole = z.enum(['professional', 'admin']);

/** A password someone chooses: long enough to resist guessing, and a length cap so hashing stays cheap. */
export const newPassword = z.string().min(10, { error: 'password_too_short' }).max(256);

/** What people call a room: trimmed, 1..80 characters, no control characters. */
export const roomName = personName.pipe(z.string().max(80, { error: 'name_too_long' }));

/** POST /api/admin/invitations */
export const invitationRequest = z.strictObject({ name: personName, email, role: memberRole });
export interface InvitationCreated {
  /** Shown once to the admin, to pass on; single use, valid until `expiresAt`. */
  invitationUrl: string;
  /**
   * 8 digits, shown once to the admin, to pass on another way than the link (by phone, in person): the
   * invited person needs both. Five wrong codes and the invitation is used up.
   */
  code: string;
  expiresAt: number;
  /** The link also went to the invited address by e-mail (the code never does: a mailbox alone is not enough). */
  emailed?: boolean;
}

/** POST /api/invitations/lookup (what the link is for), POST /api/invitations/accept */
export interface InvitationInfo {
  organizationName: string;
  name: string;
  email: string;
}
export const invitationToken = z.string().regex(/^[0-9a-f]{32}\.[A-Za-z0-9_-]{43}$/);
/** The link's token in the body: an address (a path, a query) ends up in logs. */
export const invitationLookupRequest = z.strictObject({ token: invitationToken });
/** The invitation's code as read out: eight digits, spaces allowed. */
export const invitationCode = z
  .string()
  .max(20)
  .transform((v) => v.replace(/\s+/g, ''))
  .pipe(z.string().regex(/^\d{8}$/, { error: 'the code has 8 digits' }));
export const acceptInvitationRequest = z.strictObject({ token: invitationToken, code: invitationCode, password: newPassword });

/** POST /api/auth/password: the member's own new password (required after an admin reset it). */
export const changePasswordRequest = z.strictObject({ currentPassword: password, newPassword });

/** POST /api/admin/rooms and PATCH /api/admin/rooms/:id (shared rooms; a personal room may only be renamed). */
export const roomRequest = z.strictObject({ name: roomName, members: z.array(id).max(500) });
export const roomUpdate = z.strictObject({ name: roomName.optional(), members: z.array(id).max(500).optional() });

export interface MemberInfo {
  id: string;
  name: string;
  email: string;
  role: 'professional' | 'admin';
  mustChangePassword: boolean;
}

export interface AdminRoom {
  roomId: string;
  name: string;
  slug: string;
  kind: 'personal' | 'shared';
  members: string[];
  /** Its check-in form (PUT /api/admin/rooms/:id/check-in replaces it). */
  checkIn: CheckInConfig;
  /** Its price (PUT /api/admin/rooms/:id/price), or null: free. */
  price: RoomPrice | null;
}

/** What an admin chooses for the whole organization. */
export interface OrganizationSettings {
  /** Visitors may share their screen in a call (professionals always may). */
  visitorScreenShare: boolean;
  /** Ready-made messages professionals send to waiting visitors with one click. */
  quickReplies: string[];
  /** Years the payment records are kept after the end of their financial year (bookkeeping law). */
  bookkeepingYears: number;
  /** Days everything about a visitor or a call is kept (check-in, BankID, messages, technical data, calls). */
  retentionDays: number;
  /** Where visitors ask for access, correction or erasure of their data (shown on the privacy page); null: not given. */
  privacyContact: string | null;
  /** The zone every time is shown in, to visitors (texts, pages) and members (the dashboard): Europe/Oslo unless set. */
  timeZone: string;
  /** When visitors invited by SMS or e-mail are reminded: minutes before their consultation (24 h and 1 h unless set). */
  reminderMinutes: number[];
}

/** Reminders unless an admin chooses others: a day and an hour before. */
export const DEFAULT_REMINDER_MINUTES = [1440, 60];
/** What the Organization page offers: a week, two days, a day, three hours, an hour, half an hour before. */
export const REMINDER_MINUTES_CHOICES = [10080, 2880, 1440, 180, 60, 30];
/** A short list of reminders, each from 5 minutes to two weeks before; none: no reminders. */
export const reminderMinutes = z
  .array(z.number({ error: 'reminder_invalid' }).int({ error: 'reminder_invalid' }).min(5, { error: 'reminder_invalid' }).max(20_160, { error: 'reminder_invalid' }))
  .max(5, { error: 'too_many_reminders' })
  .refine((list) => new Set(list).size === list.length, { error: 'reminder_invalid' })
  .transform((list) => [...list].sort((a, b) => b - a));

/** How long data about visitors and calls is kept: at least a day, at most ten years; 90 days unless set. */
export const RETENTION_DAYS_MIN = 1;
export const RETENTION_DAYS_MAX = 3650;
export const retentionDays = z
  .number({ error: 'retention_invalid' })
  .int({ error: 'retention_invalid' })
  .min(RETENTION_DAYS_MIN, { error: 'retention_too_short' })
  .max(RETENTION_DAYS_MAX, { error: 'retention_too_long' });
/**
 * Test-only: a retention in seconds, so tests can watch data go. The server accepts it only where its
 * configuration names a test minimum (refused in production).
 */
export const retentionSeconds = z.number({ error: 'retention_invalid' }).int({ error: 'retention_invalid' }).min(1, { error: 'retention_too_short' });

export const QUICK_REPLIES_MAX = 10;

/** An organization's privacy contact: an e-mail address or an https page (a form, a contact page). */
export const privacyContact = z
  .string()
  .trim()
  .max(200, { error: 'too_long' })
  .refine((v) => z.email().safeParse(v).success || z.url({ protocol: /^https$/, hostname: z.regexes.domain }).safeParse(v).success, {
    error: 'privacy_contact_invalid',
  });

/** PATCH /api/admin/organization */
export const organizationSettingsUpdate = z.strictObject({
  visitorScreenShare: z.boolean().optional(),
  quickReplies: z.array(professionalMessage.pipe(z.string().max(200, { error: 'message_too_long' }))).max(QUICK_REPLIES_MAX).optional(),
  bookkeepingYears: bookkeepingYears.optional(),
  retentionDays: retentionDays.optional(),
  retentionSeconds: retentionSeconds.optional(),
  privacyContact: privacyContact.nullable().optional(),
  timeZone: timeZone.optional(),
  reminderMinutes: reminderMinutes.optional(),
});

/** GET /api/admin/organization */
export interface OrganizationOverview {
  members: MemberInfo[];
  rooms: AdminRoom[];
  settings: OrganizationSettings;
  /** The organization's public privacy page (what the check-in form's consent link can point to). */
  privacyPage: string;
}

/** POST /api/admin/members/:id/reset-password: shown once to the admin, to pass on. */
export interface PasswordReset {
  temporaryPassword: string;
}

// ---------- SMS alerts (a professional's own settings) ----------

/** A mobile number in international form (E.164), e.g. +4791234567. */
export const phoneNumber = z.string().trim().regex(/^\+[1-9]\d{7,14}$/, { error: 'phone_invalid' });
/** The number, and the dashboard's language: the code and the alerts are written in it (absent: English and bokmål). */
export const smsPhoneRequest = z.strictObject({ phone: phoneNumber, language: language.optional() });
export const smsCodeRequest = z.strictObject({ code: z.string().trim().regex(/^\d{6}$/) });

/** GET /api/settings/sms */
/** GET /api/admin/email: whether this server sends e-mail (SMTP set up by its operator), and as whom. */
export interface EmailStatus {
  /** False: no SMTP server is set up (SMTP_URL or SMTP_HOST, and SMTP_FROM); nothing is e-mailed. */
  available: boolean;
  /** The sender the e-mails carry, when available. */
  from: string | null;
}

export interface SmsSettingsInfo {
  /** False: this server has no SMS provider; the page says so. */
  available: boolean;
  phone: string | null;
  verified: boolean;
  intervalMinutes: number;
}

/** POST /api/alert-links/open: the link in an arrival SMS, after logging in. */
export const alertLinkRequest = z.strictObject({ token: z.string().max(200) });
