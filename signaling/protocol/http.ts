import { z } from 'zod';
import { email, password, personName, roomSlug } from './common.ts';

/** POST /api/visits: a visitor knocks on a room. */
export const visitRequest = z.strictObject({ roomSlug, name: personName });
export type VisitRequest = z.input<typeof visitRequest>;
export interface VisitResponse {
  /** Secret (256 random bits plus routing ids); kept in the browser's local storage until the visit ends. */
  visitorToken: string;
  visitorId: string;
}

/** GET /api/rooms/:slug */
export interface RoomInfo {
  name: string;
  /** Who the visitor is told is expecting them: the professional of a personal room, or a shared room's name. */
  professionalName: string;
}

/** POST /api/auth/login */
export const loginRequest = z.strictObject({ email, password });
export type LoginRequest = z.input<typeof loginRequest>;

/** GET /api/auth/me (also the answer to a successful login). */
export interface Me {
  professional: { id: string; name: string; email: string; role: 'professional' | 'admin' };
  organization: { id: string; name: string };
  /** Sent back in the X-CSRF-Token header on every state-changing request. */
  csrfToken: string;
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
