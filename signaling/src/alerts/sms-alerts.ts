import { noteSentSms } from './sent-sms.ts';
import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import { keys } from '../redis/keys.ts';
import { addToOwnedSet } from '../retention/retained-scripts.ts';
import { fieldContext } from '../crypto/field-cipher.ts';
import { hashSecret, sameHash } from '../ids.ts';
import { AppError } from '../errors.ts';
import type { Services } from '../services.ts';
import type { Room } from '../organizations/organization-store.ts';
import type { SmsSender } from './sms-sender.ts';
import type { DomainEvents } from '../events/domain-events.ts';
import type { Logger } from '../logger.ts';
import { isLanguage, type Language } from '../../protocol/index.ts';

const CODE_TTL_MS = 10 * 60_000;
const CODE_ATTEMPTS = 5;
/** How long the link in an arrival SMS opens the dashboard on that visitor. */
const LINK_TTL_MS = 30 * 60_000;

/**
 * The professional's SMS texts in each language (the one their dashboard was in when they turned SMS on).
 * {code} is the 6-digit code; an alert is followed by its link. Nothing about any visitor or room.
 */
export const SMS_ALERT_TEXT: Record<Language, { code: string; arrival: string }> = {
  en: { code: 'Consult: {code} is your code to turn on SMS alerts. It expires in 10 minutes.', arrival: 'Consult: someone is waiting for you.' },
  nb: { code: 'Consult: {code} er koden din for å slå på SMS-varsler. Den utløper om 10 minutter.', arrival: 'Consult: noen venter på deg.' },
  nn: { code: 'Consult: {code} er koden din for å slå på SMS-varsel. Han går ut om 10 minutt.', arrival: 'Consult: nokon ventar på deg.' },
  sv: { code: 'Consult: {code} är din kod för att slå på sms-aviseringar. Den går ut om 10 minuter.', arrival: 'Consult: någon väntar på dig.' },
  da: { code: 'Consult: {code} er din kode til at slå sms-notifikationer til. Den udløber om 10 minutter.', arrival: 'Consult: der venter nogen på dig.' },
};

/** Without a language (SMS turned on before languages were kept): English and bokmål, as before. */
const arrivalText = (lang: Language | undefined): string => (lang ? SMS_ALERT_TEXT[lang].arrival : 'Consult: someone is waiting for you. / Noen venter på deg.');

export interface SmsSettings {
  /** Whether this deployment can send SMS at all (Twilio credentials present). */
  available: boolean;
  phone: string | null;
  verified: boolean;
  intervalMinutes: number;
}

/**
 * Arrival alerts by SMS to professionals who opted in with a phone number they proved is theirs (a code
 * sent to it). At most one SMS per professional per interval; the text names no visitor, room or anything
 * about health, only that someone is waiting, with a short-lived signed link (login still required).
 */
export class SmsAlerts {
  private readonly linkKey: Buffer;

  constructor(
    private readonly s: Services,
    private readonly sender: SmsSender | null,
  ) {
    // A key of its own for the links, derived from a deployment secret (no new secret to manage).
    this.linkKey = createHmac('sha256', s.config.ADDRESS_HASH_KEY).update('consult sms alert links v1').digest();
  }

  /** A member's phone number as stored: encrypted, bound to them. */
  private sealPhone(orgId: string, proId: string, phone: string): string {
    return this.s.fieldCipher.encrypt(phone, fieldContext.professionalField(orgId, proId, 'smsPhone'));
  }

  private openPhone(orgId: string, proId: string, stored: string | null | undefined): string | null {
    return this.s.fieldCipher.open(stored, fieldContext.professionalField(orgId, proId, 'smsPhone'));
  }

  async settings(orgId: string, proId: string): Promise<SmsSettings> {
    const h = await this.s.redis.hmget(keys.professional(orgId, proId), 'smsPhone', 'smsVerified');
    return {
      available: !!this.sender,
      phone: this.openPhone(orgId, proId, h[0]),
      verified: h[1] === '1',
      intervalMinutes: Math.round(this.s.config.SMS_ALERT_INTERVAL_SECONDS / 60),
    };
  }

  /** Sends a 6-digit code to the number; the number counts only once the code comes back. */
  async startVerification(orgId: string, proId: string, phone: string, language?: Language): Promise<void> {
    if (!this.sender) throw new AppError('sms_unavailable', 'SMS is not set up on this server');
    if (!(await this.s.rateLimiter.allow('sms-verify', proId, 3, 3600_000))) throw new AppError('rate_limited', 'at most 3 codes an hour');
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const key = keys.smsVerification(orgId, proId);
    const sealed = this.sealPhone(orgId, proId, phone);
    await this.s.redis.multi().hset(key, { phone: sealed, codeHash: hashSecret(code), attempts: 0 }).pexpire(key, CODE_TTL_MS).exec();
    const tx = this.s.redis.multi().hset(keys.professional(orgId, proId), { smsPhone: sealed, smsVerified: '0' });
    if (language) tx.hset(keys.professional(orgId, proId), 'smsLanguage', language);
    else tx.hdel(keys.professional(orgId, proId), 'smsLanguage');
    await tx.exec();
    await this.sender.send(phone, SMS_ALERT_TEXT[language ?? 'en'].code.replace('{code}', code));
  }

  async verify(orgId: string, proId: string, code: string): Promise<boolean> {
    const key = keys.smsVerification(orgId, proId);
    const h = await this.s.redis.hgetall(key);
    if (!h.codeHash) return false;
    if ((await this.s.redis.hincrby(key, 'attempts', 1)) > CODE_ATTEMPTS) {
      await this.s.redis.del(key);
      return false;
    }
    if (!sameHash(hashSecret(code), h.codeHash)) return false;
    await this.s.redis.multi().del(key).hset(keys.professional(orgId, proId), { smsPhone: h.phone!, smsVerified: '1' }).exec();
    return true;
  }

  async turnOff(orgId: string, proId: string): Promise<void> {
    await this.s.redis.multi().hdel(keys.professional(orgId, proId), 'smsPhone', 'smsVerified', 'smsLanguage').del(keys.smsVerification(orgId, proId)).exec();
  }

  /** Someone arrived in `room`: each of its professionals who opted in gets an SMS, unless they had one lately. */
  async visitorArrived(room: Room, visitorId: string): Promise<void> {
    if (!this.sender) return;
    for (const proId of await this.s.organizations.roomMembers(room.orgId, room.id)) {
      const [stored, verified, lang] = await this.s.redis.hmget(keys.professional(room.orgId, proId), 'smsPhone', 'smsVerified', 'smsLanguage');
      const phone = this.openPhone(room.orgId, proId, stored);
      if (!phone || verified !== '1') continue;
      const throttled = await this.s.redis.set(keys.smsThrottle(room.orgId, proId), '1', 'PX', this.s.config.SMS_ALERT_INTERVAL_SECONDS * 1000, 'NX');
      if (throttled !== 'OK') continue;
      const link = `${this.s.config.PUBLIC_ORIGIN}/dashboard/#open=${this.signLink(visitorId)}`;
      const sid = await this.sender
        .send(phone, `${arrivalText(isLanguage(lang) ? lang : undefined)} ${link}`)
        .catch((err: Error) => void this.s.log.warn({ orgId: room.orgId, professionalId: proId, err: err.message }, 'arrival SMS failed'));
      if (!sid) continue;
      // Twilio keeps the message (its link names the visitor): noted on the visitor, so erasing them deletes it there too.
      await addToOwnedSet.run(this.s.redis, { keys: { owner: keys.visitor(room.orgId, visitorId), set: keys.visitorSms(room.orgId, visitorId) }, args: { member: sid } });
      await noteSentSms(this.s.redis, room.orgId, sid);
      this.s.log.info({ orgId: room.orgId, professionalId: proId }, 'arrival SMS sent');
    }
  }

  /** Deletes Twilio's records of the messages about a visitor (their erasure). */
  async forgetMessages(sids: string[]): Promise<void> {
    if (!this.sender) return;
    for (const sid of sids) await this.sender.remove(sid);
  }

  /** `<visitorId>.<expires>.<hmac>`: opens the dashboard on that visitor for a while; says nothing by itself. */
  signLink(visitorId: string, now = Date.now()): string {
    const expires = Math.floor((now + LINK_TTL_MS) / 1000);
    return `${visitorId}.${expires}.${this.mac(`${visitorId}.${expires}`)}`;
  }

  /** The visitor a link points to, if its signature holds and it has not expired. */
  openLink(token: string, now = Date.now()): string | null {
    const m = /^([0-9a-f]{32})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (!m) return null;
    const expected = Buffer.from(this.mac(`${m[1]}.${m[2]}`));
    const given = Buffer.from(m[3]!);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    return Number(m[2]) * 1000 >= now ? m[1]! : null;
  }

  private mac(text: string): string {
    return createHmac('sha256', this.linkKey).update(text).digest('base64url');
  }
}

/** A visitor arrived: the room's professionals who asked for it get an SMS. Left running: no answer waits for Twilio. */
export function smsAlertsOn(bus: DomainEvents, sms: SmsAlerts, log: Logger): void {
  bus.on('visitor.arrived', 'arrival SMS', ({ room, visitor }) => {
    void sms.visitorArrived(room, visitor.id).catch((err: Error) => log.warn({ err: err.message }, 'arrival SMS failed'));
  });
}
