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

/**
 * Socket.IO rooms: who hears what. A waiting visitor is only ever in its own visitor room. Every name
 * starts with its organization (`org:<orgId>:`): ids that are not secret (a device id is its public key's
 * hash, a call id reaches the browsers in it) must never let a socket of one organization into another's.
 */
const inOrganization = (orgId: string, name: string) => `org:${orgId}:${name}`;
export const socketRooms = {
  visitor: (orgId: string, visitorId: string) => inOrganization(orgId, `visitor:${visitorId}`),
  organization: (orgId: string) => inOrganization(orgId, 'all'),
  /** The dashboards allowed to see a room's waiting list (its members, and the organization's admins). */
  room: (orgId: string, roomId: string) => inOrganization(orgId, `room:${roomId}`),
  professional: (orgId: string, professionalId: string) => inOrganization(orgId, `pro:${professionalId}`),
  /** The organization's admins' dashboards: they hear of every room. */
  admins: (orgId: string) => inOrganization(orgId, 'admins'),
  call: (orgId: string, callId: string) => inOrganization(orgId, `call:${callId}`),
  session: (orgId: string, sessionHash: string) => inOrganization(orgId, `session:${sessionHash}`),
  /** The sockets of one dashboard device (tabs of one browser share it): where its sealed message copies go. */
  messageDevice: (orgId: string, deviceId: string) => inOrganization(orgId, `message-device:${deviceId}`),
  /** The sockets of one consultation's embedded professional views (embedding/). */
  embedConsultation: (orgId: string, consultationId: string) => inOrganization(orgId, `embed-consultation:${consultationId}`),
  /** The sockets of one embedded session. */
  embedSession: (orgId: string, sessionHash: string) => inOrganization(orgId, `embed-session:${sessionHash}`),
};
