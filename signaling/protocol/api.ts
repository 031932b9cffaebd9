import { z } from 'zod';
import { language } from './language.ts';
import { id, personName } from './common.ts';
import { phoneNumber } from './http.ts';
import { roomPrice } from './payments.ts';

/*
 * The REST API v1 for EHR systems (servers, with an organization's API key) and the admins' management of
 * those keys. These schemas validate every request and are also what the OpenAPI document at
 * /api/v1/openapi.json is generated from (z.toJSONSchema), so the document cannot drift from the checks.
 * Times in the API are ISO 8601 strings (what other systems expect), not the milliseconds the apps use.
 */

// ---------- API keys (the dashboard's admin page) ----------

/** An API key as the admins see it: never the secret, which is shown once, when it is made. */
export interface ApiKeyInfo {
  id: string;
  name: string;
  createdAt: number;
  /** When a call last used it (to the minute: it is not written on every call), or null: never. */
  lastUsedAt: number | null;
}

/** POST /api/admin/api-keys: a name to tell keys apart (which EHR, which environment). */
export const apiKeyRequest = z.strictObject({ name: personName.pipe(z.string().max(80, { error: 'name_too_long' })) });
export type ApiKeyRequest = z.input<typeof apiKeyRequest>;

/** The new key: `key` is shown this once (only its hash is kept). */
export interface ApiKeyCreated extends ApiKeyInfo {
  key: string;
}

/** GET /api/admin/api-keys */
export interface ApiKeyList {
  keys: ApiKeyInfo[];
}

/**
 * An API key: `consult_<organization>.<key id>.<secret>`; the ids route the lookup to one Redis key (no
 * search), the 256-bit secret is what grants access (only its SHA-256 is stored).
 */
export const apiKeyToken = z.string().regex(/^consult_[0-9a-f]{32}\.[0-9a-f]{32}\.[A-Za-z0-9_-]{43}$/);

// ---------- consultations ----------

const isoTime = z.iso.datetime({ offset: true }).meta({ description: 'ISO 8601 date and time, e.g. 2027-03-01T09:30:00Z' });

export const consultationStatus = z.enum(['scheduled', 'waiting', 'in_call', 'ended', 'cancelled']).meta({
  description:
    'scheduled: the link is out, nobody is in the waiting room; waiting: the visitor is in the waiting room; in_call: admitted; ended: the call ended, or the visitor was turned away; cancelled: cancelled through the API (the link no longer works).',
});
export type ConsultationStatus = z.infer<typeof consultationStatus>;

/** The EHR's own id for the consultation: personal data to us (encrypted at rest, kept for the retention period only). */
export const externalReference = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[^\p{Cc}]+$/u, { error: 'no control characters' })
  .meta({ description: "The EHR system's own id for this consultation (encrypted at rest, deleted with the consultation's data)." });

/** POST /api/v1/consultations */
export const apiConsultationRequest = z
  .strictObject({
    roomId: id.meta({ description: 'The room the visitor waits in (ids are listed in the dashboard).' }),
    scheduledAt: isoTime.optional().meta({ description: 'When the consultation is booked for (within the next year); none: any time.' }),
    externalReference,
    visitor: z
      .strictObject({
        name: personName.optional(),
        phone: phoneNumber.optional().meta({ description: 'E.164, e.g. +4791234567' }),
      })
      .optional()
      .meta({ description: "Prefills the visitor's check-in form (encrypted at rest). The phone number is also where sms-invitation sends the link." }),
    price: roomPrice
      .nullable()
      .optional()
      .meta({ description: "What this consultation costs (minor units: 65000 = 650 NOK), paid by card at check-in; null: free; absent: the room's price." }),
  })
  .meta({ id: 'ConsultationRequest' });
export type ApiConsultationRequest = z.input<typeof apiConsultationRequest>;

/** A consultation as the API answers it. */
export const apiConsultation = z
  .strictObject({
    id,
    status: consultationStatus,
    roomId: id,
    externalReference: z.string().nullable(),
    scheduledAt: isoTime.nullable(),
    createdAt: isoTime,
    /** When the visitor first entered the waiting room. */
    arrivedAt: isoTime.nullable(),
    admittedAt: isoTime.nullable(),
    endedAt: isoTime.nullable(),
    cancelledAt: isoTime.nullable(),
    callSeconds: z.number().int().nonnegative().nullable().meta({ description: 'Length of the call(s) in whole seconds, once ended.' }),
    price: roomPrice.nullable().optional().meta({ description: "This consultation's own price, if it was given (null: free); absent: the room's price applies." }),
    /** Until when the consultation's data (and its link) is kept: the organization's retention period from the later of its creation and its time. */
    expiresAt: isoTime,
  })
  .meta({ id: 'Consultation' });
export type ApiConsultation = z.infer<typeof apiConsultation>;

/** The answer to POST /api/v1/consultations: the consultation, and its visitor link (shown once). */
export const apiConsultationCreated = apiConsultation
  .extend({
    visitorLink: z.url().meta({
      description:
        "The visitor's private link, `…/c/<organization>.<consultation>#<secret>` (256 random bits, in the fragment, which browsers send to no server); send it to the visitor whole. It works until expiresAt or a cancellation.",
    }),
    visitorLinkExpiresAt: isoTime,
  })
  .meta({ id: 'ConsultationCreated' });
export type ApiConsultationCreated = z.infer<typeof apiConsultationCreated>;

/** GET /api/v1/consultations: newest first (by the consultation's time: scheduled time, else creation), a page at a time. */
export const apiConsultationListQuery = z
  .strictObject({
    status: consultationStatus.optional(),
    from: isoTime.optional().meta({ description: "Consultations whose time (scheduled time, else creation) is at or after this." }),
    to: isoTime.optional().meta({ description: 'Consultations whose time is before this.' }),
    externalReference: externalReference.optional(),
    cursor: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,200}$/)
      .optional()
      .meta({ description: "The previous page's nextCursor." }),
    limit: z
      .string()
      .regex(/^\d{1,3}$/)
      .optional()
      .meta({ description: 'Page size, 1..100 (default 50).' }),
  })
  .refine((q) => q.limit === undefined || (Number(q.limit) >= 1 && Number(q.limit) <= 100), { error: 'limit: 1..100', path: ['limit'] })
  .refine((q) => q.from === undefined || q.to === undefined || Date.parse(q.from) < Date.parse(q.to), { error: 'from must be before to', path: ['from'] });
export type ApiConsultationListQuery = z.input<typeof apiConsultationListQuery>;

export const apiConsultationPage = z
  .strictObject({
    consultations: z.array(apiConsultation),
    nextCursor: z.string().nullable().meta({ description: 'Pass as cursor for the next page; null: no more. A page may hold fewer than limit and still have a next one (filters).' }),
  })
  .meta({ id: 'ConsultationPage' });
export type ApiConsultationPage = z.infer<typeof apiConsultationPage>;

/** A consultation id in a path. */
export const apiConsultationId = id;

/** POST /api/v1/consultations/{id}/sms-invitation: to this number, or else the prefilled one. */
export const apiSmsInvitationRequest = z
  .strictObject({
    phone: phoneNumber.optional().meta({ description: "E.164; absent: the visitor's prefilled phone number." }),
    language: language
      .optional()
      .meta({ description: "The visitor's language (en English, nb Norwegian bokmål, nn Norwegian nynorsk, sv Swedish, da Danish); absent: the text is in both. The time is in the organization's time zone either way." }),
  })
  .meta({ id: 'SmsInvitationRequest' });
export type ApiSmsInvitationRequest = z.input<typeof apiSmsInvitationRequest>;

export const apiSmsInvitationSent = z
  .strictObject({
    status: z.literal('sent'),
    /** The number's last digits only (the EHR knows the number). */
    to: z.string().meta({ description: 'The number the link went to, all but its last 3 digits masked.' }),
  })
  .meta({ id: 'SmsInvitationSent' });
export type ApiSmsInvitationSent = z.infer<typeof apiSmsInvitationSent>;

/** Every failed call: the HTTP status says the kind, `code` the reason (see ErrorCode). */
export const apiError = z
  .strictObject({ error: z.strictObject({ code: z.string(), message: z.string() }) })
  .meta({ id: 'Error' });
