import { expect } from 'chai';
import type { ApiKeyCreated } from '../../protocol/index.ts';
import { addMember, createOrganization, memberApi, startTestServer, type TestServer } from '../test-support/test-server.ts';

const FAILURES_PER_MINUTE = 5;

/*
 * Key guessing against the REST API v1: failed authentications are limited per client address (behind
 * one trusted proxy here, so each test address comes in X-Forwarded-For), while a valid key from the same
 * address keeps working.
 */
describe('REST API v1: failed authentications per client address', function () {
  this.timeout(30_000);
  let server: TestServer;
  let key: string;

  before(async () => {
    server = await startTestServer({ env: { TRUST_PROXY: '1', API_FAILED_AUTH_PER_ADDRESS_PER_MINUTE: String(FAILURES_PER_MINUTE) } });
    const org = await createOrganization(server.services, { retentionDays: 30 });
    const admin = await memberApi(server, org.org.id, (await addMember(server.services, org.org.id, { role: 'admin' })).id);
    const created = await admin.call('POST', '/api/admin/api-keys', { name: 'EHR' });
    expect(created.status).to.equal(201);
    key = (created.body as ApiKeyCreated).key;
  });
  after(async () => {
    await server?.close();
  });

  async function list(from: string, bearer: string | null) {
    const res = await fetch(`${server.url}/api/v1/consultations?limit=1`, {
      headers: { 'x-forwarded-for': from, ...(bearer !== null ? { authorization: `Bearer ${bearer}` } : {}) },
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as { error?: { code: string; message: string } } };
  }

  it('answers 429 with Retry-After to further failures from an address, never to a valid key from it; other addresses go on', async () => {
    const guesser = '203.0.113.7';
    const wrong = `${key.slice(0, -4)}0000`;
    for (let i = 0; i < FAILURES_PER_MINUTE; i++) {
      const res = await list(guesser, i % 2 ? wrong : null);
      expect(res.status, `failure ${i + 1}`).to.equal(401);
      expect(res.body.error?.code).to.equal('unauthorized');
    }
    const limited = await list(guesser, wrong);
    expect(limited.status).to.equal(429);
    expect(limited.body.error?.code).to.equal('rate_limited');
    expect(limited.body.error?.message).to.be.a('string');
    expect(Number(limited.headers.get('retry-after'))).to.be.within(1, 60);
    expect((await list(guesser, null)).status, 'no key at all counts as a failure too').to.equal(429);

    // The clinic's EHR behind the same address (a shared NAT) is not locked out.
    expect((await list(guesser, key)).status).to.equal(200);
    // Someone else elsewhere still gets the plain 401.
    expect((await list('198.51.100.20', wrong)).status).to.equal(401);
  });
});
