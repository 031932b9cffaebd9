import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { keys } from '../redis/keys.ts';
import { scanKeys } from '../test-support/redis-keys.ts';
import { eventually } from '../test-support/eventually.ts';
import { confirmAsBrowser, entersWaitingLine, startPayment, visitorCheckingIn } from '../test-support/payment-visits.ts';
import { startStripeStandIn, TEST_CARDS, testStripeKeys, stripeEnv, type StripeStandIn } from '../test-support/stripe-stand-in.ts';
import { ask, createOrganization, joinWaitingRoom, login, memberApi, postJson, professionalSocket, startTestServer, type TestServer } from '../test-support/test-server.ts';
import { deletionDue } from './organization-deletion.ts';

const run = promisify(execFile);

/*
 * The end of a contract: an operator closes an organization. Its links and logins stop at once; after the
 * grace period the purge job erases everything it held but its payments' bookkeeping records.
 */
describe('closing an organization at the end of its contract (real server, Redis, the operator command)', function () {
  this.timeout(60_000);
  const stripeKeys = testStripeKeys();
  let stripe: StripeStandIn;
  let server: TestServer;

  before(async () => {
    stripe = await startStripeStandIn(stripeKeys);
    server = await startTestServer({
      env: {
        ORGANIZATION_DELETION_DAYS: '0',
        ...stripeEnv(stripeKeys, stripe),
      },
    });
  });
  after(async () => {
    await server?.close();
    await stripe?.close();
  });

  it('goes after its grace period: 90 days unless configured', () => {
    const closedAt = Date.UTC(2026, 0, 1);
    expect(deletionDue(closedAt, 90, closedAt + 89 * 86_400_000)).to.equal(false);
    expect(deletionDue(closedAt, 90, closedAt + 90 * 86_400_000)).to.equal(true);
    expect(deletionDue(null, 0, Date.now()), 'an open organization').to.equal(false);
  });

  it('stops links and logins at once, then erases everything but the bookkeeping records', async () => {
    const org = await createOrganization(server.services);
    const other = await createOrganization(server.services);
    await server.services.organizations.setPrice(org.org.id, org.room.id, { amount: 30_000, currency: 'NOK' });
    // A paid, held call: a bookkeeping record to keep.
    const visit = await visitorCheckingIn(server, org.room.slug, 'Siste Pasient');
    const { body: auth } = await startPayment(server, visit.visitorToken);
    await confirmAsBrowser(stripe, auth, TEST_CARDS.visa);
    await entersWaitingLine(server, visit.visitorToken);
    const pro = await professionalSocket(server, (await memberApi(server, org.org.id, org.professional.id)).cookie);
    const admitted = await ask(pro, 'queue:admit', { visitorId: visit.visitorId });
    if (!admitted.ok) throw new Error(JSON.stringify(admitted));
    expect((await ask(pro, 'call:hang-up', { callId: admitted.callId })).ok).to.equal(true);
    await eventually(async () => (await scanKeys(server.redis.client, `{org:${org.org.id}}:transaction:*`)).length > 0, { what: "the call's payment settled" });
    expect(await server.redis.client.exists(keys.auditAddresses(org.org.id)), "the audit log's sealed client addresses").to.equal(1);
    await joinWaitingRoom(server, other.room.slug, 'Annen Klinikk');
    const otherKeysBefore = (await scanKeys(server.redis.client, `{org:${other.org.id}}:*`)).sort();

    const closed = await run('npx', ['tsx', 'signaling/src/retention/close-organization-cli.ts', '--org', org.org.id], { env: { ...process.env, REDIS_URL: server.redis.url, DATA_ENCRYPTION_KEYS: server.services.config.DATA_ENCRYPTION_KEYS, ADDRESS_HASH_KEY: server.services.config.ADDRESS_HASH_KEY } });
    expect(closed.stdout).to.include('closed');
    // At once: the room's link, the members' logins and sessions are gone.
    expect((await fetch(`${server.url}/api/rooms/${org.room.slug}`)).status).to.equal(404);
    expect((await postJson(server, '/api/visits', { roomSlug: org.room.slug, answers: { name: 'Ny' } })).status).to.equal(404);
    expect(await login(server, org.professional.email, org.professional.password).then(() => 'logged in', () => 'refused')).to.equal('refused');
    expect(await scanKeys(server.redis.client, `{org:${org.org.id}}:session:*`)).to.deep.equal([]);

    const report = await server.purge.runIfLocked();
    expect(report?.erasedOrganizations.map((e) => e.orgId)).to.deep.equal([org.org.id]);
    const left = await scanKeys(server.redis.client, `{org:${org.org.id}}:*`);
    expect(left.length, 'the bookkeeping record').to.be.greaterThan(0);
    for (const key of left) expect(key).to.match(/:transactions?(:|$)/);
    expect(await server.redis.client.sismember(keys.organizations(), org.org.id)).to.equal(0);
    expect((await scanKeys(server.redis.client, `{org:${other.org.id}}:*`)).sort(), 'another organization is untouched').to.deep.equal(otherKeysBefore);
    pro.disconnect();
  });

  it('the command refuses a missing, malformed or unknown organization: the problem named, exit 1', async () => {
    for (const [args, problem] of [
      [[], /missing --org/],
      [['--org', 'nope'], /--org is not an organization id/],
      [['--org', 'a'.repeat(32)], /no organization a{32}/],
    ] as const) {
      const failed = await run('npx', ['tsx', 'signaling/src/retention/close-organization-cli.ts', ...args], { env: { ...process.env, REDIS_URL: server.redis.url, DATA_ENCRYPTION_KEYS: server.services.config.DATA_ENCRYPTION_KEYS, ADDRESS_HASH_KEY: server.services.config.ADDRESS_HASH_KEY } }).then(
        () => ({ code: 0, stderr: '' }),
        (e: { code: number; stderr: string }) => e,
      );
      expect(failed.code, args.join(' ')).to.equal(1);
      expect(failed.stderr, args.join(' ')).to.match(problem);
    }
  });
});
