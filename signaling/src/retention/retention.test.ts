import { expect } from 'chai';
import { keys } from '../redis/keys.ts';
import { addMember, createOrganization, joinWaitingRoom, memberApi, startTestServer, type TestOrganization, type TestServer } from '../test-support/test-server.ts';
import { PurgeJob } from './purge-job.ts';
import { eventually } from '../test-support/eventually.ts';

const DAY = 86_400_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/*
 * Retention as an admin sets it and as the data follows it: bounds, a shortening applied to what is kept
 * already, a lengthening to what comes; and the purge job, which removes index members whose time has
 * passed (one process at a time) while the keys themselves expire by their TTLs.
 */
describe('retention: the setting, shortening, and the purge job (real server, Redis)', function () {
  this.timeout(30_000);
  let server: TestServer;
  let org: TestOrganization;
  let admin: Awaited<ReturnType<typeof memberApi>>;

  before(async () => {
    server = await startTestServer({ env: { RETENTION_TEST_MINIMUM_SECONDS: '1' } });
    org = await createOrganization(server.services);
    admin = await memberApi(server, org.org.id, (await addMember(server.services, org.org.id, { role: 'admin' })).id);
  });
  after(async () => {
    await server?.close();
  });

  const retentionNow = async () => (await server.services.organizations.getOrganization(org.org.id))!.retentionMs;

  it('admins set it in days, 1 to 3650; anything else is refused with its reason and changes nothing', async () => {
    expect((await admin.call('GET', '/api/admin/organization')).body.settings.retentionDays, 'default').to.equal(90);
    for (const [value, reason] of [
      [0, 'retention_too_short'],
      [3651, 'retention_too_long'],
      ['30', 'retention_invalid'],
      [1.5, 'retention_invalid'],
      [null, 'retention_invalid'],
    ] as const) {
      const res = await admin.call('PATCH', '/api/admin/organization', { retentionDays: value, visitorScreenShare: true });
      expect([res.status, res.body.error.code, res.body.error.message], String(value)).to.deep.equal([400, 'bad_request', `retentionDays: ${reason}`]);
    }
    expect(await retentionNow()).to.equal(90 * DAY);
    expect((await server.services.organizations.getOrganization(org.org.id))!.visitorScreenShare, 'nothing else changed either').to.equal(false);
    const ok = await admin.call('PATCH', '/api/admin/organization', { retentionDays: 3650 });
    expect(ok.status).to.equal(200);
    expect(await retentionNow()).to.equal(3650 * DAY);
    await admin.call('PATCH', '/api/admin/organization', { retentionDays: 90 });
  });

  it('shortening lowers the TTLs of what is kept (and deletes what is older than the new period); lengthening only applies to new data', async () => {
    const young = await joinWaitingRoom(server, org.room.slug, 'Ung Besøkende');
    const old = await joinWaitingRoom(server, org.room.slug, 'Gammel Besøkende');
    const youngKey = keys.visitor(org.org.id, young.visitorId);
    const oldKey = keys.visitor(org.org.id, old.visitorId);
    // As if the old visitor had come 60 days ago: 30 days left of 90.
    await server.redis.client.pexpire(oldKey, 30 * DAY);
    expect(await server.redis.client.pttl(youngKey)).to.be.within(90 * DAY - 60_000, 90 * DAY);

    const res = await admin.call('PATCH', '/api/admin/organization', { retentionDays: 30 });
    expect(res.status).to.equal(200);
    expect(await server.redis.client.pttl(youngKey), 'written just now: 30 days from now').to.be.within(30 * DAY - 60_000, 30 * DAY);
    expect(await server.redis.client.exists(oldKey), '60 days old under a 30-day retention: gone').to.equal(0);
    const waiting = keys.waiting(org.org.id, org.room.id);
    expect(await server.redis.client.pttl(waiting)).to.be.at.most(30 * DAY);

    await admin.call('PATCH', '/api/admin/organization', { retentionDays: 120 });
    expect(await server.redis.client.pttl(youngKey), 'lengthening leaves existing data as it was').to.be.at.most(30 * DAY);
    const newer = await joinWaitingRoom(server, org.room.slug, 'Ny Besøkende');
    expect(await server.redis.client.pttl(keys.visitor(org.org.id, newer.visitorId))).to.be.within(120 * DAY - 60_000, 120 * DAY);
    await admin.call('PATCH', '/api/admin/organization', { retentionDays: 90 });
  });

  it('a retention in seconds is for test servers only, above their minimum', async () => {
    const plain = await startTestServer({ redis: server.redis });
    try {
      const other = await createOrganization(plain.services);
      const otherAdmin = await memberApi(plain, other.org.id, (await addMember(plain.services, other.org.id, { role: 'admin' })).id);
      const refused = await otherAdmin.call('PATCH', '/api/admin/organization', { retentionSeconds: 5 });
      expect([refused.status, refused.body.error.message]).to.deep.equal([400, 'retentionSeconds: retention_invalid (days only)']);
      expect((await plain.services.organizations.getOrganization(other.org.id))!.retentionMs).to.equal(90 * DAY);
    } finally {
      await plain.close();
    }
    const minimum = await startTestServer({ redis: server.redis, env: { RETENTION_TEST_MINIMUM_SECONDS: '10' } });
    try {
      const other = await createOrganization(minimum.services);
      const otherAdmin = await memberApi(minimum, other.org.id, (await addMember(minimum.services, other.org.id, { role: 'admin' })).id);
      expect((await otherAdmin.call('PATCH', '/api/admin/organization', { retentionSeconds: 9 })).body.error.message).to.equal('retentionSeconds: retention_too_short');
      expect((await otherAdmin.call('PATCH', '/api/admin/organization', { retentionSeconds: 10 })).status).to.equal(200);
      expect((await minimum.services.organizations.getOrganization(other.org.id))!.retentionMs).to.equal(10_000);
    } finally {
      await minimum.close();
    }
  });

  it('the purge job removes waiting-list and history members whose time has passed, and leaves the rest', async () => {
    const short = await createOrganization(server.services, { retentionSeconds: 2 });
    const first = await joinWaitingRoom(server, short.room.slug, 'Først');
    await sleep(1200);
    const second = await joinWaitingRoom(server, short.room.slug, 'Andre');
    const history = keys.history(short.org.id, short.professional.id);
    await server.redis.client.zadd(history, Date.now() - 5_000, 'a'.repeat(32), Date.now(), 'b'.repeat(32));
    await sleep(1000);
    // The first visitor's own record has expired by itself; their place in the list has not.
    const waiting = keys.waiting(short.org.id, short.room.id);
    expect(await server.redis.client.exists(keys.visitor(short.org.id, first.visitorId))).to.equal(0);
    expect(await server.redis.client.zscore(waiting, first.visitorId)).to.not.equal(null);

    const report = await server.purge.runIfLocked();
    expect(report?.removed).to.be.at.least(2);
    expect(await server.redis.client.zscore(waiting, first.visitorId)).to.equal(null);
    expect(await server.redis.client.zscore(waiting, second.visitorId)).to.not.equal(null);
    expect(await server.redis.client.zrange(history, '0', '-1')).to.deep.equal(['b'.repeat(32)]);
  });

  it('one process purges at a time: the lock is taken, released, and lost only with its holder', async () => {
    const otherProcess = new PurgeJob(server.services);
    await server.redis.client.set(keys.purgeLock(), 'someone else', 'PX', 5_000);
    expect(await server.purge.runIfLocked(), 'another holds it').to.equal(null);
    expect(await otherProcess.runIfLocked()).to.equal(null);
    await server.redis.client.del(keys.purgeLock());
    expect(await otherProcess.runIfLocked()).to.not.equal(null);
    expect(await server.redis.client.exists(keys.purgeLock()), 'released after the pass').to.equal(0);
    // A holder that died mid-pass never releases it: it expires by itself, and another process goes on.
    await server.redis.client.set(keys.purgeLock(), 'a process that died', 'PX', 300);
    expect(await server.purge.runIfLocked()).to.equal(null);
    await eventually(async () => (await server.redis.client.exists(keys.purgeLock())) === 0, { what: 'the dead holder’s lock expired' });
    expect(await server.purge.runIfLocked()).to.not.equal(null);
  });
});
