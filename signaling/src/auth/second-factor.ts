import { createHmac, randomInt } from 'node:crypto';
import type { Redis } from 'ioredis';
import { Secret, TOTP } from 'otpauth';
import QRCode from 'qrcode';
import { keys } from '../redis/keys.ts';
import { defineScript, integer } from '../redis/lua-script.ts';
import { fieldContext, type FieldCipher } from '../crypto/field-cipher.ts';
import { hashSecret } from '../ids.ts';
import type { Session } from './session-store.ts';

const PERIOD_SECONDS = 30;
const RECOVERY_CODES = 10;

/** An authenticator app's view of a secret: SHA-1, 6 digits, 30 s, which every app understands. */
const totpOf = (secret: string, label = '') =>
  new TOTP({ issuer: 'Consult', label, secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: PERIOD_SECONDS });

/** Takes a time step if it is newer than the last one used: a code works once (RFC 6238, 5.2). */
export const takeTotpStep = defineScript({
  name: 'takeTotpStep',
  keys: ['professional'],
  args: ['step'],
  lua: (k, a) => `
local last = tonumber(redis.call('HGET', ${k.professional}, 'totpLastStep') or '-1')
local step = tonumber(${a.step})
if step <= last then return 0 end
redis.call('HSET', ${k.professional}, 'totpLastStep', step)
return 1
`,
  parse: integer,
});

export interface SecondFactorSetup {
  /** Base32, for typing into an app by hand. */
  secret: string;
  otpauthUri: string;
  /** The same URI as a QR code, an SVG document. */
  qrSvg: string;
}

const RECOVERY_ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';

/**
 * A recovery code: 16 characters of a 32-letter alphabet (80 bits), grouped for reading:
 * `abcd-efgh-jkmn-pqrs`. randomInt draws without modulo bias, so every letter is equally likely.
 */
export function newRecoveryCode(): string {
  const chars = Array.from({ length: 16 }, () => RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)]).join('');
  return chars.match(/.{4}/g)!.join('-');
}

/** As typed: any case, with or without the dashes and spaces. */
const normalizeRecovery = (code: string) => code.toLowerCase().replace(/[\s-]+/g, '');

/**
 * Professionals' second factor: a TOTP secret per member (any authenticator app), each code usable once,
 * and ten single-use recovery codes kept only as keyed hashes.
 */
export class SecondFactorStore {
  constructor(
    private readonly redis: Redis,
    private readonly cipher: FieldCipher,
    hashKey: string,
    /** The authenticator's clock: which time step a code must be from (tests move it rather than wait 30 s). */
    private readonly now: () => number = Date.now,
  ) {
    this.recoveryKey = createHmac('sha256', hashKey).update('consult recovery codes v1').digest();
  }

  private readonly recoveryKey: Buffer;

  /**
   * A recovery code as stored: keyed by a server secret and bound to the member, so a copy of Redis
   * neither lets anyone test guesses offline nor moves a code to another member.
   */
  private recoveryHash(orgId: string, proId: string, code: string): string {
    return createHmac('sha256', this.recoveryKey).update(`${orgId}\n${proId}\n${normalizeRecovery(code)}`).digest('base64url');
  }

  /**
   * The secret being set up, as kept in the login session until a code from it is entered: sealed like the
   * active one, and bound to that session (copied into another session it does not open).
   */
  sealSetup(session: Session, secret: string): string {
    return this.cipher.encrypt(secret, this.setupContext(session));
  }

  openSetup(session: Session, stored: string): string | null {
    return this.cipher.open(stored, this.setupContext(session));
  }

  private setupContext = (s: Session) => fieldContext.professionalField(s.orgId, s.professionalId, `totpSetup:${s.sessionHash}`);

  /** The member's secret as stored: encrypted (whoever reads Redis cannot make codes), bound to the member. */
  private context = (orgId: string, proId: string) => fieldContext.professionalField(orgId, proId, 'totpSecret');

  /** The member's active secret, or null (none, or not readable with the server's keys). */
  async secretOf(orgId: string, proId: string): Promise<string | null> {
    return this.cipher.open(await this.redis.hget(keys.professional(orgId, proId), 'totpSecret'), this.context(orgId, proId));
  }

  /** A fresh secret to set up (not yet active: it becomes so once a code from it is entered). */
  newSetup(email: string): Promise<SecondFactorSetup> {
    return this.setupFor(new Secret({ size: 20 }).base32, email);
  }

  async setupFor(secret: string, email: string): Promise<SecondFactorSetup> {
    const otpauthUri = totpOf(secret, email).toString();
    return { secret, otpauthUri, qrSvg: await QRCode.toString(otpauthUri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }) };
  }

  async isEnabled(orgId: string, proId: string): Promise<boolean> {
    return (await this.redis.hexists(keys.professional(orgId, proId), 'totpSecret')) === 1;
  }

  /**
   * Turns the second factor on with `secret` if `code` is from it; returns the recovery codes (shown once),
   * or null if the code is wrong.
   */
  async enable(orgId: string, proId: string, secret: string, code: string, now = this.now()): Promise<string[] | null> {
    const step = this.stepOf(secret, code, now);
    if (step === null) return null;
    const codes = Array.from({ length: RECOVERY_CODES }, newRecoveryCode);
    await this.redis
      .multi()
      .hset(keys.professional(orgId, proId), { totpSecret: this.cipher.encrypt(secret, this.context(orgId, proId)), totpLastStep: step })
      .del(keys.recoveryCodes(orgId, proId))
      .sadd(keys.recoveryCodes(orgId, proId), ...codes.map((c) => this.recoveryHash(orgId, proId, c)))
      .exec();
    return codes;
  }

  /** Whether `code` (a 6-digit code not used before, or an unused recovery code) proves the member. */
  async verify(orgId: string, proId: string, code: string, now = this.now()): Promise<boolean> {
    if (/^\d{6}$/.test(code.trim())) {
      const secret = await this.secretOf(orgId, proId);
      const step = secret ? this.stepOf(secret, code.trim(), now) : null;
      if (step === null) return false;
      return (await takeTotpStep.run(this.redis, { keys: { professional: keys.professional(orgId, proId) }, args: { step } })) === 1;
    }
    const set = keys.recoveryCodes(orgId, proId);
    if ((await this.redis.srem(set, this.recoveryHash(orgId, proId, code))) === 1) return true;
    // Codes handed out before they were keyed (50 bits, plain SHA-256) still work once each, so no member
    // is locked out by an upgrade; setting the app up again replaces them.
    return (await this.redis.srem(set, hashSecret(code.trim().toLowerCase().replace(/\s+/g, '')))) === 1;
  }

  /**
   * Takes the member's second factor away (a lost phone, by an operator): their next login sets it up
   * again, as a first login does. Their sessions are ended by the caller.
   */
  async reset(orgId: string, proId: string): Promise<void> {
    await this.redis.multi().hdel(keys.professional(orgId, proId), 'totpSecret', 'totpLastStep').del(keys.recoveryCodes(orgId, proId)).exec();
  }

  async recoveryCodesLeft(orgId: string, proId: string): Promise<number> {
    return this.redis.scard(keys.recoveryCodes(orgId, proId));
  }

  /** The time step a code belongs to (one step of clock drift either way), or null. */
  private stepOf(secret: string, code: string, now: number): number | null {
    const totp = totpOf(secret);
    const delta = totp.validate({ token: code, timestamp: now, window: 1 });
    return delta === null ? null : totp.counter({ timestamp: now }) + delta;
  }
}

/** What an authenticator app shows for `secret` at `now`: for tests, which play the member's phone. */
export function codeFor(secret: string, now = Date.now()): string {
  return totpOf(secret).generate({ timestamp: now });
}
