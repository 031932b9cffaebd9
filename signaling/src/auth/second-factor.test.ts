import { expect } from 'chai';
import type { Me, SecondFactorEnabled, SecondFactorSetupInfo } from '../../protocol/index.ts';
import {
  addMember,
  cookiePairOf,
  createOrganization,
  postJson,
  professionalSocket,
  startTestServer,
  type TestOrganization,
  type TestServer,
} from '../test-support/test-server.ts';
import { dumpRedis } from '../test-support/redis-dump.ts';
import { createHash } from 'node:crypto';
import { codeFor, newRecoveryCode } from './second-factor.ts';

/*
 * A password is not enough: a professional who logs in with one must also give a code from an
 * authenticator app (TOTP), set up at the first login, with ten recovery codes shown once. Until the
 * second step is taken the session can do nothing else; each code works once; wrong codes are limited.
 */
describe('second factor: TOTP set up at first login, each code once, recovery codes, rate limit (real server, Redis)', function () {
  this.timeout(20_000);
  let server: TestServer;
  let org: TestOrganization;

  interface Step {
    cookie: string;
    me: Me;
  }

  async function password(email: string, pw: string): Promise<Step> {
    const res = await postJson(server, '/api/auth/login', { email, password: pw });
    expect(res.status).to.equal(200);
    return { cookie: cookiePairOf(res)!, me: (await res.json()) as Me };
  }
  const send = async (step: Step, path: string, body?: unknown) => {
    const res = body === undefined ? await fetch(`${server.url}${path}`, { headers: { cookie: step.cookie } }) : await postJson(server, path, body, { cookie: step.cookie, 'x-csrf-token': step.me.csrfToken });
    return { status: res.status, body: (await res.json().catch(() => null)) as any };
  };

  before(async () => {
    server = await startTestServer();
    org = await createOrganization(server.services);
  });
  after(async () => {
    await server?.close();
  });

  it('the first login sets the app up: nothing else until a code from it is entered, then ten recovery codes, shown once and kept only as hashes', async () => {
    const step = await password(org.professional.email, org.professional.password);
    expect(step.me.pending).to.equal('second-factor-setup');
    expect((await send(step, '/api/history')).body.error.code).to.equal('second_factor_required');
    expect((await send(step, '/api/auth/second-factor', { code: '123456' })).status, 'verifying before setting up').to.equal(403);
    const refused = await professionalSocket(server, step.cookie).then(() => 'connected', (e: Error) => e.message);
    expect(refused).to.equal('unauthorized');

    const setup = (await send(step, '/api/auth/second-factor/setup')).body as SecondFactorSetupInfo;
    expect(setup.secret).to.match(/^[A-Z2-7]{32}$/);
    const whileSettingUp = JSON.stringify([...(await dumpRedis(server.redis.client)).entries()]);
    expect(whileSettingUp, 'the secret being set up is sealed in the login session too').to.not.include(setup.secret);
    expect(setup.otpauthUri).to.match(/^otpauth:\/\/totp\/Consult:.+\?.*secret=[A-Z2-7]{32}/);
    expect(setup.qrSvg).to.match(/^<svg[\s\S]*<\/svg>\s*$/);
    expect(((await send(step, '/api/auth/second-factor/setup')).body as SecondFactorSetupInfo).secret, 'the same until turned on').to.equal(setup.secret);

    const wrong = await send(step, '/api/auth/second-factor/setup', { code: codeFor(setup.secret, Date.now() - 5 * 60_000) });
    expect([wrong.status, wrong.body.error.code]).to.deep.equal([401, 'invalid_code']);
    const enabled = (await send(step, '/api/auth/second-factor/setup', { code: codeFor(setup.secret) })).body as SecondFactorEnabled;
    expect(enabled.me.pending).to.equal(null);
    expect(enabled.recoveryCodes).to.have.length(10);
    expect(new Set(enabled.recoveryCodes).size).to.equal(10);
    for (const c of enabled.recoveryCodes) expect(c).to.match(/^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$/);
    expect((await send(step, '/api/history')).status, 'logged in').to.equal(200);
    const stored = JSON.stringify([...(await dumpRedis(server.redis.client)).entries()]);
    for (const c of enabled.recoveryCodes) expect(stored).to.not.include(c);
    // Not a plain hash either: whoever has a copy of Redis cannot test guesses without the server's key.
    for (const c of enabled.recoveryCodes) {
      for (const form of [c, c.replace(/-/g, '')]) expect(stored).to.not.include(createHash('sha256').update(form).digest('hex'));
    }
    expect(stored, 'whoever reads Redis cannot make codes: the secret is encrypted at rest').to.not.include(setup.secret);
    // A logged-in session cannot put another app on the account (a stolen cookie must not be able to).
    expect((await send(step, '/api/auth/second-factor/setup')).status, 'setting up again').to.equal(404);
    expect((await send(step, '/api/auth/second-factor/setup', { code: codeFor(setup.secret) })).status).to.equal(404);
  });

  it('later logins need the current code; a code works once, an old one not at all; a recovery code works once', async () => {
    const member = await addMember(server.services, org.org.id);
    const first = await password(member.email, member.password);
    const setup = (await send(first, '/api/auth/second-factor/setup')).body as SecondFactorSetupInfo;
    const now = Date.now();
    const enabled = (await send(first, '/api/auth/second-factor/setup', { code: codeFor(setup.secret, now - 30_000) })).body as SecondFactorEnabled;

    const next = await password(member.email, member.password);
    expect(next.me.pending).to.equal('second-factor');
    const used = await send(next, '/api/auth/second-factor', { code: codeFor(setup.secret, now - 30_000) });
    expect([used.status, used.body.error.code], 'the code that turned it on').to.deep.equal([401, 'invalid_code']);
    expect((await send(next, '/api/auth/second-factor', { code: codeFor(setup.secret, now - 120_000) })).status, 'two minutes old').to.equal(401);
    const code = codeFor(setup.secret, now);
    expect((await send(next, '/api/auth/second-factor', { code })).body.pending).to.equal(null);

    const again = await password(member.email, member.password);
    expect((await send(again, '/api/auth/second-factor', { code })).status, 'the same code in another session').to.equal(401);
    const recovery = enabled.recoveryCodes[3]!;
    expect((await send(again, '/api/auth/second-factor', { code: ` ${recovery.toUpperCase()} ` })).body.pending, 'a recovery code, as typed').to.equal(null);
    const third = await password(member.email, member.password);
    expect((await send(third, '/api/auth/second-factor', { code: recovery })).status, 'that recovery code again').to.equal(401);
    expect(await server.services.secondFactor.recoveryCodesLeft(org.org.id, member.id)).to.equal(9);
  });

  it('a recovery code holds at least 80 random bits, every letter equally likely (no modulo bias)', () => {
    const codes = Array.from({ length: 20_000 }, newRecoveryCode);
    const letters = codes.join('').replace(/-/g, '');
    const counts = new Map<string, number>();
    for (const ch of letters) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    const perCode = letters.length / codes.length;
    expect(perCode * Math.log2(counts.size), 'bits per code').to.be.at.least(80);
    // 10,000 draws of each letter on average: chance spreads them by about 1 %; a byte taken modulo 31
    // makes eight letters 12.5 % likelier than the rest.
    const expected = letters.length / counts.size;
    for (const [ch, n] of counts) expect(Math.abs(n - expected) / expected, `letter ${ch}`).to.be.below(0.05);
    expect(new Set(codes).size, 'no repeats').to.equal(codes.length);
  });

  it('a recovery code is bound to its member: another member cannot log in with it', async () => {
    const a = await addMember(server.services, org.org.id);
    const b = await addMember(server.services, org.org.id);
    const aCodes = await server.services.secondFactor.enable(org.org.id, a.id, 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', codeFor('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP'));
    await server.services.secondFactor.enable(org.org.id, b.id, 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', codeFor('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP'));
    expect(await server.services.secondFactor.verify(org.org.id, b.id, aCodes![0]!)).to.equal(false);
    expect(await server.services.secondFactor.verify(org.org.id, a.id, aCodes![0]!.replace(/-/g, '').toUpperCase()), 'typed without dashes').to.equal(true);
  });

  it('attempts are limited per member (10 in 15 minutes): after the limit even the right code waits', async () => {
    const member = await addMember(server.services, org.org.id);
    const first = await password(member.email, member.password);
    const setup = (await send(first, '/api/auth/second-factor/setup')).body as SecondFactorSetupInfo;
    await send(first, '/api/auth/second-factor/setup', { code: codeFor(setup.secret, Date.now() - 30_000) });
    const step = await password(member.email, member.password);
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await send(step, '/api/auth/second-factor', { code: '000000' })).status);
    expect(statuses.every((s) => s === 401 || s === 429)).to.equal(true);
    const right = await send(step, '/api/auth/second-factor', { code: codeFor(setup.secret) });
    expect([right.status, right.body.error.code]).to.deep.equal([429, 'rate_limited']);
    expect((await send(step, '/api/history')).status, 'still not logged in').to.equal(403);
  });
});
