import { z } from 'zod';
import { id } from './common.ts';
import { consultationLinkRequest, phoneNumber } from './http.ts';
import { language, type Language } from './language.ts';
import type { ConsultationStatus } from './api.ts';

/*
 * Consultations a professional schedules in the dashboard, the invitation that goes to the visitor (SMS,
 * e-mail, in their language), the professional's list of what is coming, and the visitor's cancellation
 * from their link. The form and the server check the same schemas, so both refuse with the same words.
 */

/** An e-mail address someone types for a visitor or a member: the one check, in the forms and the server. */
export const emailAddress = z
  .string({ error: 'email_invalid' })
  .trim()
  .max(254, { error: 'email_invalid' })
  .pipe(z.email({ error: 'email_invalid' }));

/** A phone number without the spaces, dashes and brackets people type in it ("+47 912 34 567" is +4791234567). */
export const compactPhone = (typed: string): string => typed.replace(/[\s().-]/g, '');

/**
 * A visitor's mobile number as a professional types it ("+47 912 34 567"): spaces, dashes and brackets go,
 * and what is left must be international (E.164), the only form an SMS provider delivers to everywhere.
 */
export const visitorPhone = z
  .string({ error: 'phone_invalid' })
  .transform(compactPhone)
  .pipe(phoneNumber);

/** How far back a time may be (clocks differ a little) and how far ahead a consultation may be booked. */
export const SCHEDULE_CLOCK_SLACK_MS = 2 * 60_000;
export const SCHEDULE_HORIZON_MS = 365 * 86_400_000;
export type ScheduledTimeProblem = 'time_past' | 'time_too_far';

/** Why a consultation cannot be booked for `at` (the server's refusal, and the form's before it asks). */
export function scheduledTimeProblem(at: number, now: number): ScheduledTimeProblem | null {
  if (at < now - SCHEDULE_CLOCK_SLACK_MS) return 'time_past';
  if (at > now + SCHEDULE_HORIZON_MS) return 'time_too_far';
  return null;
}

/**
 * POST /api/consultations: a professional schedules a consultation in one of their rooms (no time: any
 * time). With a phone the link goes by SMS, with an address by e-mail (both: both), in `language`
 * (absent: the SMS in English and bokmål, the e-mail in English).
 */
export const consultationRequest = z.strictObject({
  roomId: id,
  scheduledAt: z.number().int().positive().optional(),
  phone: visitorPhone.optional(),
  email: emailAddress.optional(),
  language: language.optional(),
});
export type ConsultationRequest = z.input<typeof consultationRequest>;

export type InvitationChannel = 'sms' | 'email';

/** How the invitation went, per channel it was sent on. */
export interface InvitationStatus {
  /** sent: the SMS provider took it; failed: it could not be handed over (the link can still go another way). */
  sms?: 'sent' | 'failed';
  /** queued, then sent or failed (the e-mail is retried in between); dropped: the consultation was cancelled before it went. */
  email?: 'queued' | 'sent' | 'failed' | 'dropped';
}

export interface ConsultationCreated {
  consultationId: string;
  /** The visitor's private link; shown once to the professional, to send on. */
  visitorLink: string;
  scheduledAt: number | null;
  invitation: InvitationStatus;
}

/** Who cancelled a consultation: its visitor (from their link), a member (the dashboard) or the records system (the API). */
export const cancelledBy = z.enum(['visitor', 'member', 'api']);
export type CancelledBy = z.infer<typeof cancelledBy>;

/** GET /api/consultations/upcoming: the consultations of the professional's rooms from an hour ago on, soonest first. */
export interface UpcomingConsultation {
  consultationId: string;
  roomId: string;
  roomName: string;
  /** Null: any time. */
  scheduledAt: number | null;
  state: ConsultationStatus;
  invitation: InvitationStatus & { language?: Language };
  /** memberName: the member who cancelled it, while they are one. */
  cancelled: { at: number; by: CancelledBy; memberName?: string } | null;
}
export interface UpcomingConsultations {
  consultations: UpcomingConsultation[];
}

/** POST /api/consultations/:id/cancel (a member) */
export const consultationIdParams = z.strictObject({ id });

/** POST /api/consultations/link/cancel: the visitor cancels from their link (the token in the body, never an address). */
export const visitorCancelRequest = consultationLinkRequest;
export type VisitorCancel = z.input<typeof visitorCancelRequest>;
/** The second use of the link answers `alreadyCancelled`: the page says so rather than showing an error. */
export interface VisitorCancelled {
  alreadyCancelled: boolean;
  /** Who cancelled it: the visitor (now, or with this link before) or the clinic. */
  cancelledBy: 'visitor' | 'clinic';
}
