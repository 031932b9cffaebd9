import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { BankIdSettingsInfo } from '../../protocol/index.ts';
import { loadConfig } from '../config.ts';
import { dumpRedis } from '../test-support/redis-dump.ts';
import { addMember, createOrganization, sessionCookieFor, startTestServer, type TestServer } from '../test-support/test-server.ts';
import { ACR, type BankIdBroker, startBankIdBroker } from '../test-support/bankid-broker.ts';
import { adminOf, brokerSettings, putBankIdSettings, startBankIdServer, type AdminAuth } from '../test-support/bankid-setup.ts';
import { BankIdSettingsStore } from './bankid-settings-store.ts';

/*
 * An organization's BankID broker, set by its admins: validated, the client secret write-only and stored
 * encrypted, and to anyone else the routes do not exist.
 */
describe('BankID settings for an organization (admin only; real server, Redis, oidc-provider)', function () {
  this.timeout(30_000);
  let server: TestServer;
  let broker: BankIdBroker;

  before(async () => {
    ({ server, broker } = await startBankIdServer());
  });
  after(async () => {
    await broker?.close();
    await server?.close();
  });

  const getSettings = async (auth: { cookie: string }) => {
    const res = await fetch(`${server.url}/api/admin/bankid`, { headers: { cookie: auth.cookie } });
    return { status: res.status, body: (await res.json()) as BankIdSettingsInfo & { error?: { code: string } } };
  };

  it('an admin sets the broker; the secret is never sent back and is stored only encrypted', async () => {
    const org = await createOrganization(server.services);
    const admin = await adminOf(server, org.org.id);
    const empty = await getSettings(admin);
    expect(empty.body).to.deep.equal({ memberLoginAvailable: true, settings: null, redirectUri: `${server.origin}/api/bankid/callback`, loginLink: `${server.origin}/dashboard/?organization=${org.org.id}` });

    const res = await putBankIdSettings(server, admin, brokerSettings(broker, { acrValues: [ACR.high], collectNationalId: false, memberLogin: true }));
    expect(res.status).to.equal(204);
    const read = await getSettings(admin);
    expect(read.body.settings).to.deep.equal({ issuer: broker.issuer, clientId: broker.clientId, acrValues: [ACR.high], collectNationalId: false, memberLogin: true, clientSecretSet: true });
    expect(JSON.stringify(read.body)).not.to.include(broker.clientSecret);
    const stored = JSON.stringify([...(await dumpRedis(server.redis.client)).entries()]);
    expect(stored).not.to.include(broker.clientSecret);

    // Left out, the secret is kept.
    const { clientSecret: _, ...withoutSecret } = brokerSettings(broker, { collectNationalId: true });
    expect((await putBankIdSettings(server, admin, withoutSecret)).status).to.equal(204);
    const kept = await new BankIdSettingsStore(server.redis.client, server.services.fieldCipher).get(org.org.id);
    expect(kept).to.include({ clientSecret: broker.clientSecret, collectNationalId: true });

    const removed = await fetch(`${server.url}/api/admin/bankid`, { method: 'DELETE', headers: { origin: server.origin, ...admin.headers } });
    expect(removed.status).to.equal(204);
    expect((await getSettings(admin)).body.settings).to.equal(null);
  });

  it('bad settings are refused with bad_request and change nothing', async () => {
    const org = await createOrganization(server.services);
    const admin = await adminOf(server, org.org.id);
    const good = brokerSettings(broker);
    const { clientSecret: _, ...noSecret } = good;
    const cases: [string, unknown][] = [
      ['no secret and none stored', noSecret],
      ['no acr value', { ...good, acrValues: [] }],
      ['an acr value with spaces', { ...good, acrValues: ['a b'] }],
      ['not a URL', { ...good, issuer: 'broker' }],
      ['another scheme', { ...good, issuer: 'ftp://broker.example' }],
      ['a flag of the wrong type', { ...good, memberLogin: 'yes' }],
      ['an unknown field', { ...good, redirectUri: 'https://evil.example' }],
      ['a short secret', { ...good, clientSecret: 'x' }],
      ['an issuer without OpenID configuration', { ...good, issuer: 'http://127.0.0.1:1' }],
      ['a body that is not an object', [good]],
    ];
    for (const [what, body] of cases) {
      const res = await putBankIdSettings(server, admin, body);
      expect(res.status, what).to.equal(400);
      expect(((await res.json()) as { error: { code: string } }).error.code, what).to.equal('bad_request');
    }
    expect((await getSettings(admin)).body.settings).to.equal(null);
  });

  it('a professional who is not an admin is told the settings are for admins; to another organization they do not exist', async () => {
    const org = await createOrganization(server.services);
    const admin = await adminOf(server, org.org.id);
    expect((await putBankIdSettings(server, admin, brokerSettings(broker))).status).to.equal(204);
    const member = await addMember(server.services, org.org.id);
    const cookie = `consult_sid=${await sessionCookieFor(server, org.org.id, member.id)}`;
    const me = (await (await fetch(`${server.url}/api/auth/me`, { headers: { cookie } })).json()) as { csrfToken: string };
    const professional: AdminAuth = { cookie, csrfToken: me.csrfToken, headers: { cookie, 'x-csrf-token': me.csrfToken } };
    expect((await getSettings(professional)).status).to.equal(403);
    const put = await putBankIdSettings(server, professional, brokerSettings(broker, { acrValues: ['urn:weak'] }));
    expect(put.status).to.equal(403);
    const approve = await fetch(`${server.url}/api/admin/members/${member.id}/bankid/approve`, { method: 'POST', headers: { origin: server.origin, ...professional.headers } });
    expect(approve.status).to.equal(403);
    expect((await getSettings(admin)).body.settings!.acrValues).to.deep.equal([ACR.substantial, ACR.high]);

    const otherAdmin = await adminOf(server, (await createOrganization(server.services)).org.id);
    expect((await getSettings(otherAdmin)).body.settings, 'another organization sees its own (none)').to.equal(null);
    const foreign = await fetch(`${server.url}/api/admin/members/${member.id}/bankid/approve`, { method: 'POST', headers: { origin: server.origin, ...otherAdmin.headers } });
    expect(foreign.status, 'another organization’s member').to.equal(404);
    expect((await putBankIdSettings(server, { cookie: '', csrfToken: '', headers: {} }, brokerSettings(broker))).status, 'not logged in').to.equal(401);
  });

  it('BANKID_ALLOW_INSECURE_ISSUER is refused in production', () => {
    const base = { PUBLIC_ORIGIN: 'https://video.example', REDIS_URL: 'redis://127.0.0.1:1', ADDRESS_HASH_KEY: 'x'.repeat(32), DATA_ENCRYPTION_KEYS: `k:${randomBytes(32).toString('base64')}` };
    expect(() => loadConfig({ ...base, BANKID_ALLOW_INSECURE_ISSUER: 'true', NODE_ENV: 'production' })).to.throw(/BANKID_ALLOW_INSECURE_ISSUER/);
    expect(loadConfig({ ...base, BANKID_ALLOW_INSECURE_ISSUER: 'true' }).BANKID_ALLOW_INSECURE_ISSUER).to.equal(true);
  });
});

describe('BankID settings on a server without IDENTITY_HASH_KEY or the test exception', function () {
  this.timeout(30_000);
  let keyed: TestServer;
  let broker: BankIdBroker;

  before(async () => {
    keyed = await startTestServer({ env: { DATA_ENCRYPTION_KEYS: `k:${randomBytes(32).toString('base64')}` } });
    broker = await startBankIdBroker({ redirectUris: [`${keyed.origin}/api/bankid/callback`] });
  });
  after(async () => {
    await broker?.close();
    await keyed?.close();
  });

  it('an http issuer is refused unless BANKID_ALLOW_INSECURE_ISSUER (tests only); member login needs IDENTITY_HASH_KEY', async () => {
    const admin = await adminOf(keyed, (await createOrganization(keyed.services)).org.id);
    const insecure = await putBankIdSettings(keyed, admin, brokerSettings(broker, { memberLogin: false }));
    expect(insecure.status).to.equal(400);
    expect(((await insecure.json()) as { error: { message: string } }).error.message).to.match(/^issuer: must be an https address/);
    const members = await putBankIdSettings(keyed, admin, brokerSettings(broker, { issuer: 'https://broker.example', memberLogin: true }));
    expect(members.status).to.equal(400);
    expect(((await members.json()) as { error: { message: string } }).error.message).to.match(/^memberLogin/);
  });
});
