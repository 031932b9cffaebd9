import { expect } from 'chai';
import { ServerProcess } from '../../../infra/e2e/server-process.ts';
import { newId } from '../ids.ts';
import { keys } from '../redis/keys.ts';
import { eventually } from '../test-support/eventually.ts';
import { freePort } from '../test-support/free-port.ts';
import { startRedis, type TestRedis } from '../test-support/redis-server.ts';
import { createOrganization, startTestServer, type TestServer } from '../test-support/test-server.ts';
import { TestReceiver } from './test-receiver.ts';

/*
 * The outbox survives the death of the process delivering from it: the signaling process is killed with
 * SIGKILL in the middle of a delivery, while the receiver is down, and started again. Every event still
 * arrives, and the one cut off mid-request arrives again under the same event id.
 */
describe('webhooks across a kill -9 of the signaling process (real child process, Redis, HTTP)', function () {
  this.timeout(120_000);
  let redis: TestRedis;
  let helper: TestServer;
  let child: ServerProcess;
  let receiver: TestReceiver;

  before(async () => {
    redis = await startRedis();
    // In this process: sets up data and reports events, but delivers none (WEBHOOK_CONCURRENCY=0), so
    // every delivery is the child's.
    helper = await startTestServer({ redis, env: { WEBHOOK_CONCURRENCY: '0', WEBHOOK_ALLOW_PLAIN_HTTP: 'true', WEBHOOK_ALLOWED_ADDRESS_RANGES: '127.0.0.0/8' } });
    const { ADDRESS_HASH_KEY, DATA_ENCRYPTION_KEYS } = helper.services.config;
    child = await ServerProcess.start(redis.url, {
      ADDRESS_HASH_KEY,
      DATA_ENCRYPTION_KEYS,
      WEBHOOK_ALLOW_PLAIN_HTTP: 'true',
      WEBHOOK_ALLOWED_ADDRESS_RANGES: '127.0.0.0/8',
      WEBHOOK_RETRY_BASE_MS: '50',
      WEBHOOK_TIMEOUT_MS: '2000',
      // Taken over soon after the restart (in production a minute): it must exceed the attempt timeout.
      WEBHOOK_CLAIM_IDLE_MS: '3000',
    });
  });
  after(async () => {
    await receiver?.close();
    await child?.stop();
    await helper?.close();
    await redis?.stop();
  });

  it('every event arrives after the restart; the one cut off arrives again with the same event id', async () => {
    const { org } = await createOrganization(helper.services);
    const port = await freePort();
    receiver = await TestReceiver.start(port);
    receiver.behaviour = () => 'hold';
    await helper.services.webhooks.store.createEndpoint(org.id, { url: receiver.url, events: ['visitor.arrived', 'visitor.left'] });

    const emit = async (type: 'visitor.arrived' | 'visitor.left') => (await helper.services.events.emit(org.id, type, { visitorId: newId() }))!.id;
    const first = await emit('visitor.arrived');
    await receiver.waitFor((r) => r.some((x) => x.event.id === first), 'the first event (held mid-request)');

    // The process dies holding the delivery; the receiver goes down with it.
    await child.kill9();
    await receiver.close();
    const later = [await emit('visitor.left'), await emit('visitor.arrived')];

    await child.run();
    // The restarted process tries the new events against the dead receiver (refused: retries scheduled).
    await eventually(
      async () => {
        const ds = (await helper.services.webhooks.store.listDeliveries(org.id, {})).deliveries;
        return later.every((id) => ds.some((d) => d.eventId === id && d.lastAttempt?.error === 'refused'));
      },
      { what: 'refused attempts after the restart', timeoutMs: 30_000, intervalMs: 50 },
    );

    receiver.behaviour = () => 200;
    await receiver.listen(port);
    await receiver.waitFor(
      (r) => r.filter((x) => x.event.id === first).length >= 2 && later.every((id) => r.some((x) => x.event.id === id)),
      'every event, the first one again',
      60_000,
    );
    const firstCopies = receiver.received.filter((r) => r.event.id === first);
    expect(firstCopies.length).to.be.at.least(2);
    expect(new Set(firstCopies.map((r) => r.rawBody)).size, 'the same body each time').to.equal(1);
    await eventually(async () => (await redis.client.xlen(keys.webhookOutbox())) === 0 && (await redis.client.zcard(keys.webhookRetries())) === 0, { what: 'the outbox empty', timeoutMs: 60_000, intervalMs: 50 });
  });
});
