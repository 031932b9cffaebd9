import { randomBytes } from 'node:crypto';
import type { BankIdSettingsUpdate, Me } from '../../protocol/index.ts';
import { addMember, postJson, sessionCookieFor, startTestServer, type TestServer } from './test-server.ts';
import { ACR, startBankIdBroker, type BankIdBroker } from './bankid-broker.ts';

/** What a BankID test server needs from its environment: keys generated here, and the stand-in's plain http. */
export const bankIdEnv = () => ({
  DATA_ENCRYPTION_KEYS: `t1:${randomBytes(32).toString('base64')}`,
  IDENTITY_HASH_KEY: randomBytes(32).toString('hex'),
  BANKID_ALLOW_INSECURE_ISSUER: 'true',
  BANKID_ALLOWED_ADDRESS_RANGES: '127.0.0.0/8',
});

/** A test server with BankID keys and a broker stand-in whose client sends people back to it. */
export async function startBankIdServer(env: Record<string, string> = {}): Promise<{ server: TestServer; broker: BankIdBroker }> {
  const server = await startTestServer({ env: { ...bankIdEnv(), ...env } });
  const broker = await startBankIdBroker({ redirectUris: [`${server.origin}/api/bankid/callback`] });
  return { server, broker };
}

export interface AdminAuth {
  cookie: string;
  csrfToken: string;
  headers: Record<string, string>;
}

/** An admin of the organization, logged in as a completed login leaves them (see sessionCookieFor). */
export async function adminOf(server: TestServer, orgId: string): Promise<AdminAuth & { id: string }> {
  const admin = await addMember(server.services, orgId, { role: 'admin' });
  const cookie = `consult_sid=${await sessionCookieFor(server, orgId, admin.id)}`;
  const me = (await (await fetch(`${server.url}/api/auth/me`, { headers: { cookie } })).json()) as Me;
  return { id: admin.id, cookie, csrfToken: me.csrfToken, headers: { cookie, 'x-csrf-token': me.csrfToken } };
}

export function brokerSettings(broker: BankIdBroker, change: Partial<BankIdSettingsUpdate> = {}): BankIdSettingsUpdate {
  return {
    issuer: broker.issuer,
    clientId: broker.clientId,
    clientSecret: broker.clientSecret,
    acrValues: [ACR.substantial, ACR.high],
    collectNationalId: true,
    memberLogin: true,
    ...change,
  };
}

export async function putBankIdSettings(server: TestServer, admin: AdminAuth, settings: unknown): Promise<Response> {
  return fetch(`${server.url}/api/admin/bankid`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', origin: server.origin, ...admin.headers },
    body: JSON.stringify(settings),
  });
}

export async function setUpBankId(server: TestServer, admin: AdminAuth, broker: BankIdBroker, change: Partial<BankIdSettingsUpdate> = {}): Promise<void> {
  const res = await putBankIdSettings(server, admin, brokerSettings(broker, change));
  if (res.status !== 204) throw new Error(`bankid settings: ${res.status} ${await res.text()}`);
}

