import { z } from 'zod';

/**
 * What happened to a consultation, as EHR systems hear it through webhooks. Declared once: the webhook
 * payloads, the endpoint settings (which events an endpoint wants) and the OpenAPI document use these.
 */
export const consultationEventTypes = [
  'consultation.created',
  'consultation.cancelled',
  'visitor.arrived',
  'visitor.left',
  'visitor.admitted',
  'visitor.denied',
  'visitor.transferred',
  'call.started',
  'call.ended',
  'payment.captured',
] as const;
export const consultationEventType = z.enum(consultationEventTypes);
export type ConsultationEventType = z.infer<typeof consultationEventType>;

/**
 * An event's own facts: ids, times, counts and amounts only. Never a name, a phone number, an answer or
 * a message (health data stays in the service).
 */
export const consultationEventData = z.strictObject({
  roomId: z.string().optional(),
  visitorId: z.string().optional(),
  callId: z.string().optional(),
  /** visitor.transferred: the room the visitor came from (roomId: where they are now). */
  fromRoomId: z.string().optional(),
  /** visitor.left: they left themselves, or their connection was lost for too long. */
  reason: z.enum(['left', 'connection_lost']).optional(),
  /** consultation.created: when it is booked for (ms since the epoch), or null: any time. */
  scheduledAt: z.number().nullable().optional(),
  /** consultation.cancelled: by its visitor (from their link), a member (the dashboard) or the records system (the API). */
  cancelledBy: z.enum(['visitor', 'member', 'api']).optional(),
  /** call.ended: how long the call lasted, in whole seconds. */
  durationSeconds: z.number().int().nonnegative().optional(),
  /** payment.captured: the amount in the currency's smallest unit. */
  amount: z.number().int().nonnegative().optional(),
  currency: z.string().optional(),
});
export type ConsultationEventData = z.infer<typeof consultationEventData>;

/** The body of every webhook delivery. `id` stays the same on every retry of one event. */
export const consultationEvent = z.strictObject({
  id: z.string(),
  type: consultationEventType,
  /** When it happened: ISO 8601, UTC. */
  time: z.string(),
  organizationId: z.string(),
  /** Null for a visitor who came through a room's link rather than a consultation's. */
  consultationId: z.string().nullable(),
  /** The EHR's own id for the consultation, as given when it was created; null if none. */
  externalReference: z.string().nullable(),
  data: consultationEventData,
});
export type ConsultationEvent = z.infer<typeof consultationEvent>;
