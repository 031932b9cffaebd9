import { z } from 'zod';
import { id } from './common.ts';

/*
 * BankID through an organization's OpenID Connect broker (Criipto, Signicat...): the admin's settings,
 * the visitor's identification step, and members' BankID login. Everything the browser and the broker
 * send is checked against these schemas.
 */

/** An acr value as brokers write them, e.g. `urn:grn:authn:no:bankid:substantial`. */
export const acrValue = z.string().regex(/^[\x21-\x7e]{1,200}$/, { error: 'acr_invalid' });

/** PUT /api/admin/bankid: an organization's broker. The client secret is write-only (kept if left out). */
export const bankIdSettingsUpdate = z.strictObject({
  /** The broker's issuer URL (its discovery document is `<issuer>/.well-known/openid-configuration`). */
  issuer: z.url({ protocol: /^https?$/, error: 'issuer_invalid' }).max(500),
  clientId: z.string().trim().min(1).max(200).regex(/^[\x21-\x7e]+$/, { error: 'client_id_invalid' }),
  clientSecret: z.string().min(8).max(500).regex(/^[\x21-\x7e]+$/, { error: 'client_secret_invalid' }).optional(),
  /** The levels of assurance accepted; the login must carry one of them. */
  acrValues: z.array(acrValue).min(1).max(5),
  /** Ask the broker for the national identity number of visitors (the professional needs it for the record). */
  collectNationalId: z.boolean(),
  /** Members may log in with BankID instead of password and authenticator app (once their identity is bound). */
  memberLogin: z.boolean(),
});
export type BankIdSettingsUpdate = z.input<typeof bankIdSettingsUpdate>;

/** GET /api/admin/bankid */
export interface BankIdSettingsInfo {
  /** False: no IDENTITY_HASH_KEY, so members cannot log in with BankID here. */
  memberLoginAvailable: boolean;
  /** The broker as set, without its secret; null if none is. */
  settings: (Omit<BankIdSettingsUpdate, 'clientSecret'> & { clientSecretSet: boolean }) | null;
  /** The address to register at the broker as the redirect URI. */
  redirectUri: string;
  /** The dashboard's login page for this organization (shows the BankID button); for members to bookmark. */
  loginLink: string;
}

/**
 * Where a visitor comes back to after the broker: their room's link or their consultation's private link,
 * nothing else (an open redirect would send them anywhere with our name on it).
 */
export const bankIdReturnTo = z.union([
  z.string().regex(/^\/r\/[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/),
  z.string().regex(/^\/c\/[0-9a-f]{32}\.[0-9a-f]{32}$/),
]);

/** POST /api/bankid/visitor/start (Authorization: Bearer <visitor token>) */
export const bankIdVisitorStart = z.strictObject({ returnTo: bankIdReturnTo });

/** The answer to each .../start: where to send the browser. */
export interface BankIdStarted {
  authorizationUrl: string;
}

/** How the identification went, in the fragment of the page the visitor comes back to: `#bankid=<outcome>`. */
export const BANKID_OUTCOMES = ['done', 'cancelled', 'failed'] as const;
export type BankIdOutcome = (typeof BANKID_OUTCOMES)[number];

/** How a member's BankID step went, in the dashboard's fragment: `#bankid=<outcome>`. */
export const MEMBER_BANKID_OUTCOMES = ['link-pending', 'failed', 'cancelled'] as const;
export type MemberBankIdOutcome = (typeof MEMBER_BANKID_OUTCOMES)[number];

/** GET /api/bankid/callback: the broker's answer, as far as we read it ourselves (openid-client reads the rest). */
export const bankIdCallbackQuery = z.looseObject({
  state: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  code: z.string().max(2000).optional(),
  error: z.string().max(200).optional(),
});

/** The claims of a verified id token that we use (brokers' names: `birthdate`, `socialno`). */
export const bankIdClaims = z.looseObject({
  sub: z.string().min(1).max(500),
  acr: z.string().max(200).optional(),
  name: z.string().trim().min(1).max(200).optional(),
  birthdate: z.iso.date().optional(),
  socialno: z.string().regex(/^\d{11}$/).optional(),
});

/**
 * What the queue card shows of a visitor identified with BankID. Never the national id itself: the
 * professional handling the visitor asks for it (`queue:identity`, `consultation:identity`), and each
 * showing is in the audit log (need to know).
 */
export interface VerifiedIdentity {
  name: string;
  /** YYYY-MM-DD */
  birthDate: string;
  /** A national identity number is on record (only where the organization collects it): shown on request. */
  hasNationalId?: true;
  verifiedAt: number;
}

/** A visitor's national identity number, as shown on request to the professional handling them. */
export interface RevealedIdentity {
  nationalId: string;
}

/** GET /api/bankid/login-options?organization=<id>: the same answer for an unknown organization as for one without it. */
export const bankIdLoginOptionsQuery = z.strictObject({ organization: id });
export interface BankIdLoginOptions {
  bankId: boolean;
}

/** POST /api/bankid/login/start */
export const bankIdLoginStart = z.strictObject({ organization: id });

/** A member's BankID, as they and the admins see it. */
export type MemberBankIdState = 'none' | 'pending' | 'bound';

/** GET /api/bankid/link: the member's own state. */
export interface MemberBankIdInfo {
  /** Whether the organization lets members log in with BankID. */
  offered: boolean;
  state: MemberBankIdState;
}

/** GET /api/admin/bankid/members */
export interface MemberBankIdList {
  members: { id: string; state: MemberBankIdState }[];
}
