import { z } from 'zod';
import { id } from './common.ts';
import { callEvents, type CallServerEvents, type ClientEventsOf, type WaitingVisitor } from './socket.ts';
import type { RevealedIdentity } from './bankid.ts';

/*
 * Embedding in an EHR: the single-use professional link, the organization's list of origins allowed to
 * frame its pages, and the messages an embedded page exchanges with the EHR page around it. Declared once:
 * the server, the visitor app, the dashboard and the example EHR page use these.
 */

// ---------- the single-use professional link ----------

/** How long a professional link may be used after it was made (ms). */
export const PROFESSIONAL_LINK_TTL_MS = 60_000;

/** POST /api/v1/consultations/{id}/professional-link: for which member of the organization. */
export const professionalLinkRequest = z.strictObject({ professionalId: id });
export type ProfessionalLinkRequest = z.infer<typeof professionalLinkRequest>;

export const professionalLinkCreated = z.strictObject({
  /** Open it (top level, or as an iframe's src) within PROFESSIONAL_LINK_TTL_MS; it works once. */
  url: z.string(),
  /** ISO 8601, UTC. */
  expiresAt: z.string(),
});
export type ProfessionalLinkCreated = z.infer<typeof professionalLinkCreated>;

/** A professional link's token: `<organization>.<secret>` (the secret 256 random bits; only its hash is kept). */
export const professionalLinkToken = z.string().regex(/^[0-9a-f]{32}\.[A-Za-z0-9_-]{43}$/);

/**
 * POST /api/professional-links/redeem: the same answer at the top level and inside an EHR's iframe. A
 * professional link never starts a cookie session (the full dashboard needs a real login): it gives a
 * bearer token for this one consultation, kept in the page's memory only, that ends with the consultation.
 */
export const professionalLinkRedeem = z.strictObject({ token: professionalLinkToken });
export type ProfessionalLinkRedeem = z.infer<typeof professionalLinkRedeem>;

export interface ProfessionalLinkRedeemed {
  consultationId: string;
  /** Sent in the Socket.IO `auth` payload of the embedded namespace; never stored by the page. */
  embedToken: string;
  professionalName: string;
  organizationName: string;
}

// ---------- origins allowed to frame an organization's pages ----------

/** At most this many origins per organization. */
export const MAX_EMBED_ORIGINS = 20;

/**
 * An origin exactly as a browser writes it (`https://ehr.example.com`, `http://localhost:8080`): a scheme,
 * a lower-case host and an optional port, no path, no wildcard. Which schemes are accepted where (https
 * only, http for localhost outside production) is the server's check (embedding/embed-origins.ts).
 */
export const embedOrigin = z
  .string()
  .max(200)
  .refine(
    (value) => {
      try {
        const url = new URL(value);
        // A host name or an IP address: no wildcard (a browser would not match `*.example.com` anyway).
        const host = /^([a-z0-9-]+\.)*[a-z0-9-]+$|^\[[0-9a-f:.]+\]$/.test(url.hostname);
        return (url.protocol === 'https:' || url.protocol === 'http:') && host && url.origin === value;
      } catch {
        return false;
      }
    },
    { error: 'an origin such as https://ehr.example.com (scheme, host and port only)' },
  );

/** GET and PUT /api/admin/embedding: the origins that may frame this organization's pages. */
export const embedSettingsUpdate = z.strictObject({
  origins: z
    .array(embedOrigin)
    .max(MAX_EMBED_ORIGINS)
    .refine((list) => new Set(list).size === list.length, { error: 'each origin once' }),
});
export type EmbedSettings = z.infer<typeof embedSettingsUpdate>;

/**
 * GET /api/embedding/parent?page=<path>&origin=<origin>: whether an EHR page at `origin` may frame `page`
 * (a visitor link or a professional link page). 404 unless it may; the embedded page then posts its
 * events to that exact origin, never to `*`.
 */
export const embedParentQuery = z.strictObject({
  // A page's path as the address bar shows it, which never holds a secret: a consultation's page without
  // its secret (that is in the fragment), a room's link, the professional link page.
  page: z.string().regex(/^\/(?:c\/[0-9a-f]{32}\.[0-9a-f]{32}|r\/[a-z0-9-]{1,64}|dashboard\/link\/[0-9a-f]{32})$/),
  origin: embedOrigin,
});
export interface EmbedParent {
  origin: string;
}

// ---------- messages between an embedded page and the EHR page around it ----------

/** Every message we post carries this, so the EHR page can tell ours from others'. */
export const EMBED_MESSAGE_SOURCE = 'consult';

/**
 * What an embedded page tells its parent (posted only to the parent's allowed origin): `ready` once the
 * page is up, then the consultation's progress as this side sees it. `error`: the link is not valid (used,
 * expired) or the page cannot go on. `view` says which side speaks.
 */
export const embedEvent = z.discriminatedUnion('type', [
  z.strictObject({ source: z.literal(EMBED_MESSAGE_SOURCE), view: z.enum(['visitor', 'professional']), type: z.literal('ready') }),
  z.strictObject({ source: z.literal(EMBED_MESSAGE_SOURCE), view: z.enum(['visitor', 'professional']), type: z.literal('visitor-arrived') }),
  z.strictObject({ source: z.literal(EMBED_MESSAGE_SOURCE), view: z.enum(['visitor', 'professional']), type: z.literal('visitor-admitted') }),
  z.strictObject({ source: z.literal(EMBED_MESSAGE_SOURCE), view: z.enum(['visitor', 'professional']), type: z.literal('call-ended') }),
  z.strictObject({
    source: z.literal(EMBED_MESSAGE_SOURCE),
    view: z.enum(['visitor', 'professional']),
    type: z.literal('error'),
    code: z.enum(['link_invalid', 'not_allowed', 'failed']),
  }),
]);
export type EmbedEvent = z.infer<typeof embedEvent>;
export type EmbedEventType = EmbedEvent['type'];
export type EmbedView = EmbedEvent['view'];

/** What the parent may ask of an embedded page (accepted only from the allowed origin): end the call. */
export const embedCommand = z.strictObject({ source: z.literal(EMBED_MESSAGE_SOURCE), command: z.enum(['hang-up']) });
export type EmbedCommand = z.infer<typeof embedCommand>;

// ---------- the embedded professional view's socket ----------

/** Its own namespace: a socket here can only ever see and act on one consultation's visitor. */
export const EMBED_NAMESPACE = '/embedded-pro';

/** The consultation as the embedded professional view shows it: its visitor if they are waiting, its call. */
export interface EmbeddedConsultationStatus {
  /** The consultation's visitor while they wait in line; null before they arrive (or once admitted). */
  visitor: WaitingVisitor | null;
  /** The call the consultation's visitor is in, if any. */
  callId: string | null;
}

export const embeddedProfessionalEvents = {
  ...callEvents,
  'consultation:status': { request: z.strictObject({}), response: {} as EmbeddedConsultationStatus },
  /** Admits the consultation's visitor into a new call of this professional. */
  'consultation:admit': { request: z.strictObject({}), response: {} as { callId: string } },
  /** The national identity number of the consultation's visitor (waiting or in this call), audited; else `not_found`. */
  'consultation:identity': { request: z.strictObject({}), response: {} as RevealedIdentity },
} as const;

export type EmbeddedProfessionalClientEvents = ClientEventsOf<typeof embeddedProfessionalEvents>;

export interface EmbeddedProfessionalServerEvents extends CallServerEvents {
  /** The consultation's visitor arrived in line (or is back in it), or left it (null). */
  'consultation:visitor': (visitor: WaitingVisitor | null) => void;
  /** The embedded session ended (the member was removed, it expired); the socket is closed right after. */
  'session:ended': () => void;
}
