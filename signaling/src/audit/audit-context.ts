import type { IncomingMessage } from 'node:http';
import type { Request, Response } from 'express';
import type { Config } from '../config.ts';
import { clientAddressResolver } from '../http/client-address.ts';
import type { Session } from '../auth/session-store.ts';
import type { AuditRecord } from './audit-entry.ts';

/** Who acts, as an audit entry names them: the member, their session's hash and their address. */
export type AuditActorContext = Pick<AuditRecord, 'orgId' | 'actor' | 'sessionHash' | 'address'>;

export const auditActorOf = (session: Session, address: string | undefined): AuditActorContext => ({
  orgId: session.orgId,
  actor: session.professionalId,
  sessionHash: session.sessionHash,
  address,
});

/** The logged-in member of an HTTP request (after requireProfessional), with the address Express resolved (TRUST_PROXY). */
export const httpActorOf = (req: Request, res: Response<unknown, { session: Session }>): AuditActorContext =>
  auditActorOf(res.locals.session, req.ip);

/** The member of a dashboard socket, with the address its handshake came from (by the same TRUST_PROXY rule). */
export function socketActorOf(trustProxy: Config['trustProxy'], session: Session, request: IncomingMessage): AuditActorContext {
  return auditActorOf(session, clientAddressResolver(trustProxy)(request));
}
