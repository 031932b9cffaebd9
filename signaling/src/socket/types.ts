import type { Namespace, Socket } from 'socket.io';
import type {
  ProfessionalClientEvents,
  ProfessionalServerEvents,
  VisitorClientEvents,
  VisitorServerEvents,
} from '../../protocol/index.ts';
import type { Session } from '../auth/session-store.ts';
import type { Visitor } from '../waiting-room/waiting-room-store.ts';

export interface VisitorSocketData {
  orgId: string;
  visitorId: string;
  /** As it was when the socket connected. */
  visitor: Visitor;
}

export interface ProfessionalSocketData {
  session: Session;
  /** The rooms whose waiting lists this dashboard hears about (need to know). */
  roomIds: string[];
  admin: boolean;
}

export type VisitorNamespace = Namespace<VisitorClientEvents, VisitorServerEvents, {}, VisitorSocketData>;
export type ProfessionalNamespace = Namespace<ProfessionalClientEvents, ProfessionalServerEvents, {}, ProfessionalSocketData>;
export type VisitorSocket = Socket<VisitorClientEvents, VisitorServerEvents, {}, VisitorSocketData>;
export type ProfessionalSocket = Socket<ProfessionalClientEvents, ProfessionalServerEvents, {}, ProfessionalSocketData>;

/** Socket.IO rooms: who hears what. A waiting visitor is only ever in its own visitor room. */
export const socketRooms = {
  visitor: (visitorId: string) => `visitor:${visitorId}`,
  organization: (orgId: string) => `org:${orgId}`,
  /** The dashboards allowed to see a room's waiting list (its members, and the organization's admins). */
  room: (roomId: string) => `room:${roomId}`,
  professional: (professionalId: string) => `pro:${professionalId}`,
  /** The organization's admins' dashboards: they hear of every room. */
  admins: (orgId: string) => `admins:${orgId}`,
  call: (callId: string) => `call:${callId}`,
  session: (sessionHash: string) => `session:${sessionHash}`,
  /** The sockets of one dashboard device (tabs of one browser share it): where its sealed message copies go. */
  messageDevice: (deviceId: string) => `message-device:${deviceId}`,
  /** The sockets of one consultation's embedded professional views (embedding/). */
  embedConsultation: (consultationId: string) => `embed-consultation:${consultationId}`,
  /** The sockets of one embedded session. */
  embedSession: (sessionHash: string) => `embed-session:${sessionHash}`,
};
