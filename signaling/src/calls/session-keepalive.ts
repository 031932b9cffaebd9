import type { Services } from '../services.ts';
import type { ProfessionalSocket } from '../socket/types.ts';
import type { Joined } from './call-sockets.ts';

/** An ongoing call keeps the professional's login alive: the session is renewed this often. */
const SESSION_KEEPALIVE_MS = 60_000;

/** Keeps a professional's login alive while they are in the call (a visitor has no login to keep). */
export function keepSessionAlive(s: Pick<Services, 'sessions' | 'log'>, callId: string, entry: Joined): void {
  if (entry.participant.role !== 'professional' || entry.keepAlive) return;
  const session = (entry.socket as ProfessionalSocket).data.session;
  entry.keepAlive = setInterval(() => {
    s.sessions.touch(session).catch((err: Error) => s.log.warn({ callId, err: err.message }, 'could not renew the session'));
  }, SESSION_KEEPALIVE_MS);
}
