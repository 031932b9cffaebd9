import { expect } from 'chai';
import { Redis } from 'ioredis';
import { keys } from '../redis/keys.ts';
import { eventually } from '../test-support/eventually.ts';
import { startTestServer, type TestServer } from '../test-support/test-server.ts';
import { OUTBOX_GROUP } from './webhook-outbox.ts';

/*
 * Every signaling process reads the webhook outbox under a consumer name of its own, and a process killed
 * or restarted leaves its consumer in the group. The deliverer removes those with nothing pending that
 * have been idle past a threshold (a day in production; shortened here), at its start and hourly.
 * "Processes gone" are played by a throwaway connection reading under a name, then closing.
 */
describe('webhooks: consumers of processes gone leave the outbox group (real server, Redis)', function () {
  this.timeout(30_000);
  let server: TestServer;
  let throwaway: Redis;

  before(async () => {
    // A pending entry of a consumer gone is taken over only after this (longer than the test).
    server = await startTestServer({ env: { WEBHOOK_CLAIM_IDLE_MS: '3600000' } });
    throwaway = new Redis(server.redis.url);
  });
  after(async () => {
    throwaway?.disconnect();
    await server?.close();
  });

  const outbox = () => server.services.webhooks.outbox;
  async function consumers(): Promise<Record<string, { pending: number; idle: number }>> {
    const rows = (await server.redis.client.xinfo('CONSUMERS', keys.webhookOutbox(), OUTBOX_GROUP)) as (string | number)[][];
    const found: Record<string, { pending: number; idle: number }> = {};
    for (const row of rows) {
      const f: Record<string, string | number> = {};
      for (let i = 0; i < row.length; i += 2) f[String(row[i])] = row[i + 1]!;
      found[String(f.name)] = { pending: Number(f.pending), idle: Number(f.idle) };
    }
    return found;
  }
  /**
   * A process that took an entry from the outbox under `name`, finished it (acknowledged) unless
   * `leavePending`, then died. Added and read in one transaction: the live deliverer, blocked on the
   * stream, is served after it and gets nothing.
   */
  async function goneConsumer(name: string, leavePending = false): Promise<void> {
    const answer = await throwaway
      .multi()
      .xadd(keys.webhookOutbox(), '*', 'kind', 'test-noise')
      .xreadgroup('GROUP', OUTBOX_GROUP, name, 'COUNT', 1, 'STREAMS', keys.webhookOutbox(), '>')
      .exec();
    const entryId = answer![0]![1] as string;
    if (!leavePending) await throwaway.multi().xack(keys.webhookOutbox(), OUTBOX_GROUP, entryId).xdel(keys.webhookOutbox(), entryId).exec();
  }
  it('removes the idle consumers with nothing pending, never one with pending entries, nor its own', async () => {
    // The server's own deliverer appears in the group once it has taken an entry.
    await server.redis.client.xadd(keys.webhookOutbox(), '*', 'kind', 'test-noise');
    await eventually(async () => Object.keys(await consumers().catch(() => ({}))).length > 0, { what: "the server's own deliverer reads", intervalMs: 25 });
    const [own] = Object.keys(await consumers());
    await goneConsumer('gone-idle');
    await goneConsumer('gone-busy', true);
    expect(await consumers()).to.have.keys(own!, 'gone-idle', 'gone-busy');
    expect((await consumers())['gone-busy']!.pending).to.equal(1);

    // Not idle for an hour: all stay.
    expect(await outbox().removeIdleConsumers(3_600_000)).to.equal(0);
    expect(await consumers()).to.have.keys(own!, 'gone-idle', 'gone-busy');

    await eventually(async () => (await consumers())['gone-idle']!.idle > 1, { what: 'a consumer idle for a moment', intervalMs: 25 });
    expect(await outbox().removeIdleConsumers(1)).to.equal(1);
    const left = await consumers();
    expect(left, 'the one holding an entry stays (its entry is taken over first)').to.have.keys(own!, 'gone-busy');
    expect(left['gone-busy']!.pending).to.equal(1);
  });

  it('does it when a deliverer starts', async () => {
    await goneConsumer('gone-before-restart');
    expect(await consumers()).to.include.keys('gone-before-restart');
    await eventually(async () => (await consumers())['gone-before-restart']!.idle > 1, { what: 'a consumer idle for a moment', intervalMs: 25 });
    outbox().idleConsumerMs = 1;
    await outbox().stop();
    outbox().start();
    await eventually(async () => !('gone-before-restart' in (await consumers())), { what: 'the idle consumer removed at start', intervalMs: 25 });
    expect(await consumers()).to.include.keys('gone-busy');
  });
});
