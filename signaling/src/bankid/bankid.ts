import type { Response } from 'express';
import { hashSecret, newSecret } from '../ids.ts';
import type { Services } from '../services.ts';
import { BankIdSettingsStore } from './bankid-settings-store.ts';
import { BrokerClients } from './broker-client.ts';
import { AddressGuard } from '../webhooks/address-guard.ts';
import { LoginRecords } from './login-records.ts';
import { MemberBindings } from './member-bindings.ts';

export const CALLBACK_PATH = '/api/bankid/callback';

/** The flow cookie: only the browser that started a login may finish it (no login CSRF, no forwarded links). */
export const flowCookieName = (secure: boolean) => (secure ? '__Host-consult_bankid' : 'consult_bankid');
/** How long the flow cookie lives (the privacy page states it from here). */
export const FLOW_COOKIE_MINUTES = 10;

/** The parts of BankID every route uses, built once per server. */
export class BankId {
  readonly settings: BankIdSettingsStore;
  readonly brokers: BrokerClients;
  readonly logins: LoginRecords;
  /** Undefined without IDENTITY_HASH_KEY: members cannot log in with BankID on this server. */
  readonly bindings: MemberBindings | undefined;
  readonly redirectUri: string;

  constructor(s: Pick<Services, 'config' | 'fieldCipher' | 'redis'>) {
    this.redirectUri = `${s.config.publicOrigin}${CALLBACK_PATH}`;
    this.settings = new BankIdSettingsStore(s.redis, s.fieldCipher);
    this.brokers = new BrokerClients(this.redirectUri, s.config.BANKID_ALLOW_INSECURE_ISSUER, AddressGuard.fromSetting(s.config.BANKID_ALLOWED_ADDRESS_RANGES));
    this.logins = new LoginRecords(s.redis);
    this.bindings = s.config.IDENTITY_HASH_KEY ? new MemberBindings(s.redis, s.config.IDENTITY_HASH_KEY) : undefined;
  }

  /** Sets the flow cookie for a login being started; answers the hash its record keeps. */
  static bindBrowser(res: Response, secure: boolean): string {
    const secret = newSecret();
    res.cookie(flowCookieName(secure), secret, { httpOnly: true, secure, sameSite: 'lax', path: secure ? '/' : CALLBACK_PATH, maxAge: FLOW_COOKIE_MINUTES * 60_000 });
    return hashSecret(secret);
  }
}
