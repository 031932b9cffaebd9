import { expect } from 'chai';
import { consultationEventTypes } from '../../protocol/index.ts';
import { addMember, createOrganization, memberApi, startTestServer, type TestServer } from '../test-support/test-server.ts';
import { TestReceiver } from './test-receiver.ts';

/*
 * One organization's endpoint that hangs must not hold up another's webhooks. Each endpoint gets at most
 * WEBHOOK_CONCURRENCY_PER_ENDPOINT requests at once from a process; the rest of its deliveries wait
 * (parked while it answers, in the retry set once it failed) without taking the process's delivery slots.
 * Here the timeout is a minute, longer than the test: were the hanging endpoint to fill the slots, the
 * other organization's event could not arrive before the test gives up.
 */
describe('webhooks: a hanging endpoint does not hold up other organizations (real server, Redis)', function () {
  this.timeout(30_000);
  let server: TestServer;
  let hanging: TestReceiver;
  let answering: TestReceiver;

  before(async () => {
    server = await startTestServer({
      env: { WEBHOOK_ALLOWED_ADDRESS_RANGES: '127.0.0.0/8', WEBHOOK_ALLOW_PLAIN_HTTP: 'true', WEBHOOK_TIMEOUT_MS: '60000', WEBHOOK_CONCURRENCY: '4', WEBHOOK_CLAIM_IDLE_MS: '3600000' },
    });
    hanging = await TestReceiver.start();
    hanging.behaviour = () => 'hold';
    answering = await TestReceiver.start();
  });
  after(async () => {
    await hanging?.close();
    await answering?.close();
    await server?.close();
  });

  async function organizationHeardAt(url: string): Promise<string> {
    const org = await createOrganization(server.services);
    const admin = await addMember(server.services, org.org.id, { role: 'admin' });
    const made = await (await memberApi(server, org.org.id, admin.id)).call('POST', '/api/admin/webhooks', { url, events: [...consultationEventTypes] });
    expect(made.status).to.equal(201);
    return org.org.id;
  }

  it('twenty events to a hanging endpoint, then one to another organization: it arrives while the twenty hang', async () => {
    const stuck = await organizationHeardAt(hanging.url);
    const other = await organizationHeardAt(answering.url);
    for (let i = 0; i < 20; i++) await server.services.events.emit(stuck, 'visitor.arrived', { consultationId: null, visitorId: `${i}`.padStart(32, '0') });
    await hanging.waitFor((r) => r.length >= 2, 'the first requests to the hanging endpoint');
    const sent = await server.services.events.emit(other, 'visitor.arrived', { consultationId: null, visitorId: 'f'.repeat(32) });
    await answering.waitFor((r) => r.some((x) => x.event.id === sent!.id), 'the other organization’s event');
    // Meanwhile the hanging endpoint has answered nothing and holds no more than its share.
    expect(hanging.received.length).to.equal(2);
  });
});
