import { createHmac, randomBytes } from 'node:crypto';
import type { IceServerInfo, TransportInfo } from '../../protocol/index.ts';

export interface TurnSettings {
  /** Shared with coturn (`static-auth-secret`). */
  secret: string;
  /** `turn:` / `turns:` addresses handed to browsers. */
  urls: string[];
  /** How long a credential is good for; coturn refuses it after. */
  ttlSeconds: number;
  /** 'relay': browsers send media only through TURN (for networks, or clinics, that want it that way). */
  policy: 'all' | 'relay';
}

/**
 * A TURN REST credential (coturn's `use-auth-secret`): the user name is the expiry and 128 random bits,
 * the password an HMAC-SHA1 over it under the shared secret. coturn checks both without asking us, and
 * nothing in it names a person, so it can go to any browser that is allowed media.
 */
export function turnCredential(secret: string, ttlSeconds: number, nowMs = Date.now()): { username: string; credential: string } {
  const expiry = Math.floor(nowMs / 1000) + ttlSeconds;
  const username = `${expiry}:${randomBytes(16).toString('base64url')}`;
  return { username, credential: createHmac('sha1', secret).update(username).digest('base64') };
}

/** What a browser needs to reach the SFU through our TURN server; nothing when TURN is not set up. */
export function iceServersFor(turn: TurnSettings | undefined): Pick<TransportInfo, 'iceServers' | 'iceTransportPolicy'> {
  if (!turn) return {};
  const iceServers: IceServerInfo[] = [{ urls: turn.urls, ...turnCredential(turn.secret, turn.ttlSeconds) }];
  return { iceServers, iceTransportPolicy: turn.policy };
}
