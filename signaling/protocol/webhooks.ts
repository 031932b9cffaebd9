import { z } from 'zod';
import { id } from './common.ts';
import { consultationEventType, type ConsultationEventType } from './events.ts';

/*
 * Webhooks: an organization's admins register endpoints (a URL and the consultation events it wants) and
 * get a signing secret; every event is delivered to each endpoint that wants it, signed, at least once.
 * The delivery body is a `ConsultationEvent` (events.ts).
 */

/** The header every delivery carries: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">[,v1=<old>]`. */
export const WEBHOOK_SIGNATURE_HEADER = 'Consult-Signature';
/** Receivers should refuse a signature whose `t` is further than this from their clock (replays). */
export const WEBHOOK_TOLERANCE_SECONDS = 300;
/** How long deliveries and their attempts are listed (never longer than the organization's retention). */
export const WEBHOOK_DELIVERY_KEEP_DAYS = 30;
/** An organization's endpoints, at most. */
export const WEBHOOK_ENDPOINTS_MAX = 20;
/** Longest overlap of an old and a new secret after a rotation (a week), and the default (a day). */
export const WEBHOOK_OVERLAP_MAX_MINUTES = 7 * 24 * 60;
export const WEBHOOK_OVERLAP_DEFAULT_MINUTES = 24 * 60;

/**
 * An endpoint's address: an absolute http(s) URL without user name, password or fragment, at most 2000
 * characters. (Whether the server may reach its host is checked by the server after resolving it.)
 */
export const webhookUrl = z
  .string()
  .max(2000, { error: 'url_too_long' })
  .pipe(z.url({ protocol: /^https?$/, error: 'url_invalid' }))
  .refine((u) => {
    // (Runs after a failed url check too, so a string that is no URL at all must not throw here.)
    const parsed = URL.canParse(u) ? new URL(u) : null;
    return !!parsed && !parsed.username && !parsed.password && !parsed.hash;
  }, { error: 'url_invalid' });

/** The events an endpoint wants: one or more, each once. */
export const webhookEventList = z
  .array(consultationEventType)
  .min(1, { error: 'events_required' })
  .max(consultationEventType.options.length)
  .refine((events) => new Set(events).size === events.length, { error: 'events_repeated' });

/** POST /api/admin/webhooks */
export const webhookEndpointCreate = z.strictObject({ url: webhookUrl, events: webhookEventList });
export type WebhookEndpointCreate = z.input<typeof webhookEndpointCreate>;

/** PATCH /api/admin/webhooks/:id: a new address and/or other events (the secret stays). */
export const webhookEndpointUpdate = z
  .strictObject({ url: webhookUrl.optional(), events: webhookEventList.optional() })
  .refine((u) => u.url !== undefined || u.events !== undefined, { error: 'nothing_to_change' });
export type WebhookEndpointUpdate = z.input<typeof webhookEndpointUpdate>;

/** POST /api/admin/webhooks/:id/rotate-secret: how long the old secret still signs beside the new one. */
// (No body at all is the default overlap, as an empty one is.)
export const webhookSecretRotation = z
  .strictObject({
    overlapMinutes: z.number().int().min(0).max(WEBHOOK_OVERLAP_MAX_MINUTES).default(WEBHOOK_OVERLAP_DEFAULT_MINUTES),
  })
  .prefault({});
export type WebhookSecretRotation = z.input<typeof webhookSecretRotation>;

export interface WebhookEndpointView {
  id: string;
  url: string;
  events: ConsultationEventType[];
  /** ms since the epoch */
  createdAt: number;
  /** When the current secret was made. */
  secretCreatedAt: number;
  /** Until when the previous secret signs too (a rotation's overlap), or null: only the current one. */
  previousSecretUntil: number | null;
}

export interface WebhookEndpointList {
  endpoints: WebhookEndpointView[];
}

/** The answer to a creation or a rotation: the secret, shown this once (it is never sent again). */
export interface WebhookSecretIssued {
  endpoint: WebhookEndpointView;
  secret: string;
}

export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

/** One try of a delivery: the HTTP status the endpoint answered, or why there was none. */
export interface WebhookAttemptView {
  at: number;
  /** The endpoint's HTTP status, or null when there was no answer. */
  status: number | null;
  /** Why it failed without an answer: timeout, refused, forbidden_address, dns, error. */
  error: string | null;
  /** How long it took (ms). */
  ms: number;
}

/** An event on its way to one endpoint (never its body: that holds the EHR's reference). */
export interface WebhookDeliveryView {
  id: string;
  endpointId: string;
  eventId: string;
  eventType: ConsultationEventType;
  createdAt: number;
  status: WebhookDeliveryStatus;
  attempts: number;
  lastAttempt: WebhookAttemptView | null;
  /** When the next try is due (pending ones), else null. */
  nextAttemptAt: number | null;
  deliveredAt: number | null;
}

/** GET /api/admin/webhook-deliveries?endpointId=&status=&cursor= : newest first. */
export const webhookDeliveryQuery = z.strictObject({
  endpointId: id.optional(),
  status: z.enum(WEBHOOK_DELIVERY_STATUSES).optional(),
  /** Page on from here: the page before's `nextCursor` (opaque: the time and id of its last entry). */
  cursor: z.string().regex(/^[A-Za-z0-9_-]{1,200}$/).optional(),
});
export type WebhookDeliveryQuery = z.input<typeof webhookDeliveryQuery>;

export interface WebhookDeliveryList {
  deliveries: WebhookDeliveryView[];
  /** Pass as `cursor` for older ones; null at the end. */
  nextCursor: string | null;
}

/** GET /api/admin/webhooks/deliveries/:id: with its attempts, newest first. */
export interface WebhookDeliveryDetail extends WebhookDeliveryView {
  attemptLog: WebhookAttemptView[];
}
