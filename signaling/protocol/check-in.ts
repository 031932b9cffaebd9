import { z } from 'zod';
import { MESSAGE_MAX, personName, professionalMessage } from './common.ts';

/*
 * A room's check-in form, declared once: the admin's configuration of it, and the schema of a visitor's
 * answers built from that configuration. The visitor's browser checks the answers with the very schema
 * the server checks them with again, so every message a visitor sees comes from one place. Error messages
 * are codes (`required`, `too_long`...) each app words in its language.
 */

export const CUSTOM_FIELDS_MAX = 10;
export const CUSTOM_TEXT_MAX = 200;
export const CHOICES_MAX = 20;

/** Control characters other than line breaks, and the bidi controls that can disguise text. */
const FORBIDDEN = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/u;

/** Text an admin writes for visitors to read (a label, a choice): 1..80 characters, no control characters. */
const shortText = z
  .string()
  .transform((s) => s.trim())
  .pipe(z.string().min(1, { error: 'required' }).max(80, { error: 'too_long' }).refine((s) => !FORBIDDEN.test(s), { error: 'invalid_characters' }));

/** A missing answer says `required`; a present one of the wrong kind, `wrong`. */
const missingOr = (wrong: string) => ({ error: (issue: { input?: unknown }) => (issue.input === undefined ? 'required' : wrong) });

/** A custom field's id: stable while the admin edits labels, so answers keep their field. */
export const customFieldId = z.string().regex(/^[a-z0-9]{8}$/);

export const customFieldKind = z.enum(['text', 'number', 'choice', 'checkbox']);

export const customField = z
  .strictObject({
    id: customFieldId,
    label: shortText,
    kind: customFieldKind,
    required: z.boolean(),
    /** For a single choice: what the visitor chooses from. */
    options: z.array(shortText).min(2).max(CHOICES_MAX).optional(),
  })
  .refine((f) => (f.kind === 'choice') === !!f.options, { error: 'options: a single choice has options, nothing else does' })
  .refine((f) => !f.options || new Set(f.options).size === f.options.length, { error: 'options: each once' });
export type CustomField = z.infer<typeof customField>;

const builtIn = z.strictObject({ enabled: z.boolean(), required: z.boolean() });

/** PUT /api/admin/rooms/:id/check-in: what a room asks of its visitors before they wait. */
export const checkInConfig = z
  .strictObject({
    name: builtIn,
    phone: builtIn,
    birthDate: builtIn,
    /** A free-text reason for the visit: off by default, because what people write there is often health data. */
    reason: builtIn,
    custom: z.array(customField).max(CUSTOM_FIELDS_MAX),
    /** A consent or information text the visitor must accept, with a link to the organization's privacy page. */
    consent: z
      .strictObject({
        text: professionalMessage,
        privacyUrl: z.url({ protocol: /^https$/, error: 'privacyUrl: an https address' }).max(500),
      })
      .nullable(),
    /**
     * Pseudonymous: visitors give no name, only an access code a professional gave them (single use, it
     * expires); the queue card shows the code's label. The name field is then not asked.
     */
    pseudonymous: z.boolean().default(false),
    /** Visitors identify with BankID after the form (the organization's broker must be set up). */
    bankId: z.boolean().default(false),
  })
  .refine((c) => new Set(c.custom.map((f) => f.id)).size === c.custom.length, { error: 'custom: each id once' });
export type CheckInConfig = z.infer<typeof checkInConfig>;

/** A room's form until its admin changes it: the name, required. */
export const DEFAULT_CHECK_IN: CheckInConfig = {
  name: { enabled: true, required: true },
  phone: { enabled: false, required: false },
  birthDate: { enabled: false, required: false },
  reason: { enabled: false, required: false },
  custom: [],
  consent: null,
  pseudonymous: false,
  bankId: false,
};

/**
 * What a visitor does after the form and before waiting, in this order, where the room asks for it. Until
 * each is done the visitor is `checking_in`: known by a token, but in no waiting line.
 */
export const CHECK_IN_STEPS = ['bankid', 'payment'] as const;
export type CheckInStep = (typeof CHECK_IN_STEPS)[number];

/** What a visitor answered. Fields the room does not ask for are not allowed at all. */
export interface CheckInAnswers {
  name?: string;
  phone?: string;
  /** YYYY-MM-DD */
  birthDate?: string;
  reason?: string;
  /** By custom field id. */
  custom?: Record<string, string | number | boolean>;
  /** The consent text was accepted. */
  consent?: true;
  /** In a pseudonymous room: the code a professional gave the visitor (instead of a name). */
  accessCode?: string;
}

/**
 * An access code as it is given and typed: 26 base-32 letters and digits (130 random bits), shown in groups
 * of four; spaces, dashes and case do not matter.
 */
export const ACCESS_CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
export const accessCode = z
  .string(missingOr('access_code_invalid'))
  .transform((s) => s.toUpperCase().replace(/[\s-]/g, ''))
  .pipe(z.string().regex(new RegExp(`^[${ACCESS_CODE_ALPHABET}]{26}$`), { error: 'access_code_invalid' }));

/** POST /api/access-codes: a professional makes a code for one visitor of a pseudonymous room. */
export const accessCodeRequest = z.strictObject({
  roomId: z.string().regex(/^[0-9a-f]{32}$/),
  /** What the queue card shows instead of a name (a case number, "Patient at 14:00"): no health data. */
  label: shortText,
  validHours: z.number().int().min(1).max(24 * 30),
});
export interface AccessCodeCreated {
  /** Shown once, to pass on to the visitor. */
  code: string;
  expiresAt: number;
}

export const visitorText = (max: number) =>
  z
    .string(missingOr('invalid'))
    .transform((s) => s.trim())
    .pipe(z.string().min(1, { error: 'required' }).max(max, { error: 'too_long' }).refine((s) => !FORBIDDEN.test(s), { error: 'invalid_characters' }));

/** A telephone number as people write it: digits, spaces, dashes, brackets, an optional leading +; 6-15 digits. */
export const phone = z
  .string(missingOr('phone_invalid'))
  .transform((s) => s.trim())
  .pipe(
    z
      .string()
      .min(1, { error: 'required' })
      .max(25, { error: 'phone_invalid' })
      .regex(/^\+?[0-9][0-9 ()-]*$/, { error: 'phone_invalid' })
      .refine((s) => {
        const digits = s.replace(/\D/g, '').length;
        return digits >= 6 && digits <= 15;
      }, { error: 'phone_invalid' }),
  );

/** A birth date: a real calendar day, not in the future, not before 1900. */
export const birthDate = z.iso.date(missingOr('date_invalid')).refine((d) => d >= '1900-01-01' && d <= new Date().toISOString().slice(0, 10), { error: 'date_invalid' });

function customAnswer(field: CustomField): z.ZodType<string | number | boolean> {
  switch (field.kind) {
    case 'text':
      return visitorText(CUSTOM_TEXT_MAX);
    case 'number':
      return z.number(missingOr('number_invalid')).finite({ error: 'number_invalid' }).min(-1e9, { error: 'number_invalid' }).max(1e9, { error: 'number_invalid' });
    case 'choice':
      return z.enum(field.options as [string, ...string[]], missingOr('not_a_choice'));
    case 'checkbox':
      // A required checkbox must be ticked; an optional one says yes or no.
      return field.required ? z.literal(true, { error: 'required' }) : z.boolean(missingOr('invalid'));
  }
}

const ask = <T extends z.ZodType>(schema: T, field: { required: boolean }) => (field.required ? schema : schema.optional());

/**
 * The schema of a visitor's answers to this room's form. Unknown fields (a forged field, one the room does
 * not ask for) are refused; a required one missing says `required`.
 */
export function checkInAnswersSchema(config: CheckInConfig) {
  const shape: Record<string, z.ZodType> = {};
  // The name's own messages (name_required, name_too_long...) are those the form has always used. A
  // pseudonymous room asks for an access code instead, and no name at all.
  if (config.pseudonymous) shape.accessCode = accessCode;
  else if (config.name.enabled) shape.name = ask(personName, config.name);
  if (config.phone.enabled) shape.phone = ask(phone, config.phone);
  if (config.birthDate.enabled) shape.birthDate = ask(birthDate, config.birthDate);
  if (config.reason.enabled) shape.reason = ask(visitorText(MESSAGE_MAX), config.reason);
  if (config.custom.length) {
    const custom: Record<string, z.ZodType> = {};
    for (const field of config.custom) custom[field.id] = ask(customAnswer(field), field);
    const anyRequired = config.custom.some((f) => f.required);
    shape.custom = anyRequired ? z.strictObject(custom, { error: 'required' }) : z.strictObject(custom).optional();
  }
  if (config.consent) shape.consent = z.literal(true, { error: 'consent_required' });
  // The shape is built from the room's settings at run time, so its type is stated: each field above
  // parses to that field's type in CheckInAnswers.
  return z.strictObject(shape) as z.ZodType<CheckInAnswers, unknown>;
}

/** The answers as a professional reads them on the queue card, in the form's order (labels of built-in fields are the app's). */
export interface CheckInDetails {
  phone?: string;
  birthDate?: string;
  reason?: string;
  custom: { label: string; value: string | number | boolean }[];
}

export function detailsOf(config: CheckInConfig, answers: CheckInAnswers): CheckInDetails {
  const custom = config.custom
    .filter((f) => answers.custom?.[f.id] !== undefined)
    .map((f) => ({ label: f.label, value: answers.custom![f.id]! }));
  return {
    ...(answers.phone ? { phone: answers.phone } : {}),
    ...(answers.birthDate ? { birthDate: answers.birthDate } : {}),
    ...(answers.reason ? { reason: answers.reason } : {}),
    custom,
  };
}
