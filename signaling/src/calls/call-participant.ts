import { peerIdOf, type PeerInfo } from '../../protocol/index.ts';

/** Who is acting on a call: resolved from the socket's visitor token or login session. */
export interface CallParticipant {
  role: PeerInfo['role'];
  orgId: string;
  /** The visitor's or professional's id. */
  id: string;
}

/** The id the SFU knows this participant by; opaque to it. */
export const mediaParticipantId = (p: CallParticipant) => peerIdOf(p.role, p.id);
