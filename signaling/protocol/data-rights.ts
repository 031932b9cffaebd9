import { z } from 'zod';
import { birthDate, phone, visitorText, type CheckInDetails } from './check-in.ts';
import { MESSAGE_MAX, personName } from './common.ts';
import type { VerifiedIdentity } from './bankid.ts';
import type { DeviceCheckDetails } from './network-check.ts';

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
