/*
 * bench:purge - one pass of the retention purge job over 100 organizations, with expired index members
 * (visitors in waiting lists and the visitors index, calls in histories) and live ones beside them, on a
 * real Redis through a real server. It prints the time per expired item and the Redis commands and round
 * trips the pass sent, for three data sets in the same run:
 *   A: 10k expired, 10k live    B: 100k expired, 10k live    C: 100k expired, 100k live
 * B/A shows the cost following the expired items; C/B that it does not follow the items kept.
 *
 *   npm run bench:purge [-- --orgs 100] [--items 10000] [--smoke]
 *   (--items: the expired and the live items of set A; B and C scale it as above)
 */
import { randomBytes } from 'node:crypto';
import { keys } from '../../signaling/src/redis/keys.ts';
import { createOrganization, startTestServer, type TestServer } from '../../signaling/src/test-support/test-server.ts';
import { benchArgs } from './size.ts';

const { size } = benchArgs({ orgs: [100, 3], items: [10_000, 30] });
const ORGS = size.orgs;
const N = size.items;
const DAY = 86_400_000;

const id = () => randomBytes(16).toString('hex');

/** Fills every organization's indexes: `expired` and `live` items in all, spread evenly. */
async function fill(server: TestServer, orgs: { orgId: string; roomId: string; proId: string }[], expired: number, live: number, now: number) {
  const redis = server.redis.client;
  const perOrg = (n: number) => Math.round(n / orgs.length);
  for (const { orgId, roomId, proId } of orgs) {
    const pipeline = redis.pipeline();
    for (const [count, age] of [
      [perOrg(expired), 40 * DAY],
      [perOrg(live), DAY],
    ] as const) {
      // A third of the items in each kind of index.
      for (let i = 0; i < count; i++) {
        const score = now - age - i;
        const key = i % 3 === 0 ? keys.waiting(orgId, roomId) : i % 3 === 1 ? keys.visitors(orgId) : keys.history(orgId, proId);
        pipeline.zadd(key, score, id());
      }
    }
    await pipeline.exec();
  }
}

async function pass(server: TestServer, label: string, expired: number, live: number) {
  await server.redis.client.flushall();
  const orgs = [];
  for (let i = 0; i < ORGS; i++) {
    const org = await createOrganization(server.services, { retentionDays: 30 });
    orgs.push({ orgId: org.org.id, roomId: org.room.id, proId: org.professional.id });
  }
  const now = Date.now();
  await fill(server, orgs, expired, live, now);
  const before = Number((await server.redis.client.info('stats')).match(/total_commands_processed:(\d+)/)![1]);
  const started = process.hrtime.bigint();
  const report = await server.purge.runOnce(now);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const after = Number((await server.redis.client.info('stats')).match(/total_commands_processed:(\d+)/)![1]);
  const left = (await Promise.all(orgs.map(async (o) => (await server.redis.client.zcard(keys.waiting(o.orgId, o.roomId))) + (await server.redis.client.zcard(keys.visitors(o.orgId))) + (await server.redis.client.zcard(keys.history(o.orgId, o.proId)))))).reduce((a, b) => a + b, 0);
  console.log(
    `${label}: ${expired.toLocaleString('en')} expired + ${live.toLocaleString('en')} live -> removed ${report.removed.toLocaleString('en')}, kept ${left.toLocaleString('en')}; ` +
      `${ms.toFixed(0)} ms (${((ms * 1000) / Math.max(1, report.removed)).toFixed(2)} µs per expired item), ` +
      `${after - before - 1} Redis commands in ${report.roundTrips} round trips`,
  );
  if (report.removed !== expired || left !== live) throw new Error(`${label}: removed ${report.removed} of ${expired}, kept ${left} of ${live}`);
  return { ms, commands: after - before - 1 };
}

const server = await startTestServer();
try {
  await pass(server, 'warm-up', N / 10, N / 10);
  const a = await pass(server, 'A', N, N);
  const b = await pass(server, 'B', 10 * N, N);
  const c = await pass(server, 'C', 10 * N, 10 * N);
  console.log(`B/A time ${(b.ms / a.ms).toFixed(2)}x for 10x the expired items (commands ${(b.commands / a.commands).toFixed(2)}x)`);
  console.log(`C/B time ${(c.ms / b.ms).toFixed(2)}x for 10x the live items (commands ${(c.commands / b.commands).toFixed(2)}x)`);
} finally {
  await server.close();
}
