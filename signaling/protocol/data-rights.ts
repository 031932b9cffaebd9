import { z } from 'zod';
import { birthDate, phone, visitorText, type CheckInDetails } from './check-in.ts';
import { MESSAGE_MAX, personName } from './common.ts';
import type { VerifiedIdentity } from './bankid.ts';
import type { DeviceCheckDetails } from './network-check.ts';
import type { ConsultationStatus } from './api.ts';
import type { Language } from './language.ts';

/*
 * The data subject's rights, exercised by an organization's admin on a visitor's behalf: find what is held
 * about them, export it, correct it, erase it. Every one of these is audited.
 */

/** POST /api/admin/visitors/search (in the body, never in an address that logs keep): a name, phone number, birth date or visitor id (at least 2 characters). */
export const visitorSearch = z.strictObject({ q: z.string().trim().min(2, { error: 'too_short' }).max(100, { error: 'too_long' }) });

/** A visitor an admin found: enough to tell who is who, no more. */
export interface VisitorMatch {
  visitorId: string;
  name: string;
  arrivedAt: number;
  roomName: string;
  state: string;
}

/** PATCH /api/admin/visitors/:id: what the visitor asked to have corrected (each as the form checks it). */
export const visitorCorrection = z
  .strictObject({
    name: personName.optional(),
    phone: phone.optional(),
    birthDate: birthDate.optional(),
    reason: visitorText(MESSAGE_MAX).optional(),
  })
  .refine((c) => Object.keys(c).length > 0, { error: 'nothing to correct' });
export type VisitorCorrection = z.infer<typeof visitorCorrection>;

/** GET /api/admin/visitors/:id/export: everything held about one visitor, as JSON. */
export interface VisitorExport {
  exportedAt: number;
  organizationId: string;
  visitor: {
    visitorId: string;
    name: string;
    state: string;
    room: string;
    arrivedAt: number;
    admittedAt?: number;
    leftAt?: number;
    appointmentAt?: number;
    checkIn?: CheckInDetails;
    /** With the national id, where one is on record: the export is the visitor's own copy (and audited). */
    identity?: VerifiedIdentity & { nationalId?: string };
    deviceCheck?: DeviceCheckDetails;
    deniedMessage?: string;
  };
  calls: { callId: string; startedAt: number; endedAt?: number; technicalData: unknown[] }[];
  /** Messages are end-to-end encrypted: the server holds sealed copies it cannot read. */
  messages: { count: number; note: string };
  payment?: { amount: number; currency: string; status: string; reference: string };
  /** Text messages to professionals about this visitor's arrival, kept by the SMS provider. */
  smsRecords: number;
  /** What this record does not hold, and where that is. */
  notes: string[];
}

/**
 * Someone invited to consultations by one phone number or e-mail address, found by that number or address
 * (checked in or not: a visitor who came is also found as a visitor).
 */
export interface InviteeMatch {
  /** A keyed hash of the number or address: names no one; the export and the erasure go by it. */
  inviteeId: string;
  channel: 'sms' | 'email';
  /** The number or address, as the admin searched for it (normalized: +4791234567, kari@example.no). */
  contact: string;
  consultations: { consultationId: string; scheduledAt: number | null; roomName: string; state: ConsultationStatus }[];
}

/** The answer to POST /api/admin/visitors/search. */
export interface VisitorSearchResult {
  visitors: VisitorMatch[];
  invitees: InviteeMatch[];
}

/** One message sent (or still to go) to an invitee: which way, what, when, and what became of it; never its text or address. */
export interface InviteeMessage {
  channel: 'sms' | 'email';
  kind: 'invitation' | 'reminder' | 'receipt';
  /** When it went (or was tried, or is due). */
  at: number;
  /** sent, failed, queued, dropped (its consultation was cancelled first), pending (a reminder still to go). */
  status: 'sent' | 'failed' | 'queued' | 'dropped' | 'pending';
  /** A reminder: how long before the consultation. */
  minutesBefore?: number;
}

/** GET /api/admin/invitees/:id/export: what is held about someone because they were invited by this number or address. */
export interface InviteeExport {
  exportedAt: number;
  organizationId: string;
  invitee: { inviteeId: string; channel: 'sms' | 'email'; contact: string };
  consultations: {
    consultationId: string;
    room: string;
    createdAt: number;
    scheduledAt: number | null;
    state: ConsultationStatus;
    cancelledAt?: number;
    language?: Language;
    messages: InviteeMessage[];
    /** Text messages to this consultation's visitor that the SMS provider keeps (deleted there with an erasure or at retention). */
    smsRecords: number;
  }[];
  notes: string[];
}
