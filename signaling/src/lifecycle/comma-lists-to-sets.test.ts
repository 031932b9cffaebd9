import { expect } from 'chai';
import { newId } from '../ids.ts';
import { keys } from '../redis/keys.ts';
import { startRedis, type TestRedis } from '../test-support/redis-server.ts';
import { startTestServer } from '../test-support/test-server.ts';
import { foldCommaLists } from './comma-lists-to-sets.ts';

/*
 * Records written before a visitor's calls and SMS and a consultation's visitors and SMS were sets held
 * them as comma-joined fields. They live up to the retention period, so the server moves them over when it
 * starts: afterwards every id is in its set, the set expires with its record, and the old field is gone.
 */
describe('ids written as comma-joined fields before they were sets (a real Redis and server)', function () {
  this.timeout(90_000);
  let redis: TestRedis;
  beforeEach(async () => {
    redis = await startRedis();
  });
  afterEach(async () => {
    await redis?.stop();
  });

  it('are moved into sets at start, in the order they were noted, each set expiring with its record; moving again changes nothing', async () => {
    const orgId = newId();
    const visitorId = newId();
    const consultationId = newId();
    const [first, second] = [newId(), newId()];
    const day = 86_400_000;
    const visitor = keys.visitor(orgId, visitorId);
    const consultation = keys.consultation(orgId, consultationId);
    await redis.client.multi().hset(visitor, { visitorId, state: 'ended', callIds: 'call1,call2,', smsIds: 'SM1,' }).pexpire(visitor, 30 * day).exec();
    await redis.client.multi().hset(consultation, { id: consultationId, state: 'ended', visitorIds: `${second},${first},`, smsIds: 'SMa,SMb,' }).pexpire(consultation, 60 * day).exec();

    const server = await startTestServer({ redis });
    try {
      expect(await redis.client.hkeys(visitor)).not.to.include.members(['callIds', 'smsIds']);
      expect(await redis.client.hkeys(consultation)).not.to.include.members(['visitorIds', 'smsIds']);
      expect((await redis.client.smembers(keys.visitorCalls(orgId, visitorId))).sort()).to.deep.equal(['call1', 'call2']);
      expect(await redis.client.smembers(keys.visitorSms(orgId, visitorId))).to.deep.equal(['SM1']);
      expect(await redis.client.zrange(keys.consultationVisitors(orgId, consultationId), '0', '-1'), 'in the order they came').to.deep.equal([second, first]);
      expect((await redis.client.smembers(keys.consultationSms(orgId, consultationId))).sort()).to.deep.equal(['SMa', 'SMb']);
      for (const [set, owner] of [
        [keys.visitorCalls(orgId, visitorId), visitor],
        [keys.visitorSms(orgId, visitorId), visitor],
        [keys.consultationVisitors(orgId, consultationId), consultation],
        [keys.consultationSms(orgId, consultationId), consultation],
      ] as const) {
        expect(Math.abs((await redis.client.pttl(set)) - (await redis.client.pttl(owner))), `${set} expires with its record`).to.be.lessThan(5_000);
      }
      expect(await foldCommaLists(server.services.redis), 'nothing left to move').to.equal(0);
      expect(await redis.client.zrange(keys.consultationVisitors(orgId, consultationId), '0', '-1')).to.deep.equal([second, first]);
    } finally {
      await server.close();
    }
  });
});
