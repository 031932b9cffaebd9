import { createHmac, randomBytes } from 'node:crypto';

/*
 * The signature of a delivery, in the form receivers know from other services:
 *   Consult-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">
 * keyed with the endpoint's whole secret string (UTF-8). During a rotation's overlap a second v1 (made with
 * the old secret) follows, so a receiver still holding the old secret keeps accepting. The time is signed
 * with the body, so a receiver can refuse a replay of an old delivery (see verify-signature.example.ts).
 */

/** A new endpoint secret: 256 random bits, with a prefix that says what it is when found in a config file. */
export const newWebhookSecret = () => `whsec_${randomBytes(32).toString('base64url')}`;

export function signatureOf(secret: string, unixSeconds: number, rawBody: string): string {
  return createHmac('sha256', secret).update(`${unixSeconds}.${rawBody}`, 'utf8').digest('hex');
}

/** The header's value: the current secret's signature first, then the old one's during an overlap. */
export function signatureHeader(secrets: string[], unixSeconds: number, rawBody: string): string {
  return [`t=${unixSeconds}`, ...secrets.map((secret) => `v1=${signatureOf(secret, unixSeconds, rawBody)}`)].join(',');
}
