import { expect } from 'chai';
import { startRedis, type TestRedis } from '../test-support/redis-server.ts';
import {
  ask,
  createOrganization,
  joinWaitingRoom,
  login,
  professionalSocket,
  recordEvents,
  startTestServer,
  visitorSocket,
} from '../test-support/test-server.ts';

/*
 * Principle 1: a signaling process holds nothing another one needs. Stop the server while visitors wait
 * and a professional is logged in, start a new one on the same Redis: everyone is where they were.
 */
describe('a server restart loses no visitor and no login (real Redis, two servers in turn)', function () {
  let redis: TestRedis;

  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.stop();
  });

  it('the waiting visitors, their places and tokens, and the login session all survive', async () => {
    const first = await startTestServer({ redis });
    const org = await createOrganization(first.services);
    const ola = await joinWaitingRoom(first, org.room.slug, 'Ola Nordmann');
    const kari = await joinWaitingRoom(first, org.room.slug, 'Kari Nordmann');
    const { cookie } = await login(first, org.professional.email, org.professional.password);
    const before = await ask(await professionalSocket(first, cookie), 'queue:list', {});
    expect(before.ok && before.visitors.map((v) => v.name)).to.deep.equal(['Ola Nordmann', 'Kari Nordmann']);
    await first.close();

    const second = await startTestServer({ redis });
    try {
      // The same cookie still works, and the queue is the same, in the same order.
      const pro = await professionalSocket(second, cookie);
      const after = await ask(pro, 'queue:list', {});
      expect(after.ok && after.visitors).to.deep.equal(before.ok && before.visitors);

      // The visitor's stored token brings them back to the same place.
      const visitor = await visitorSocket(second, ola.visitorToken);
      const status = await ask(visitor, 'visit:status', {});
      expect(status.ok && status.visit.state).to.equal('waiting');

      // And the day goes on: admitted on the new server.
      const admitted = await ask(pro, 'queue:admit', { visitorId: ola.visitorId });
      expect(admitted.ok, JSON.stringify(admitted)).to.equal(true);
      await recordEvents(visitor).waitFor('visit:admitted');
      const rest = await ask(pro, 'queue:list', {});
      expect(rest.ok && rest.visitors.map((v) => v.visitorId)).to.deep.equal([kari.visitorId]);
    } finally {
      await second.close();
    }
  });
});
