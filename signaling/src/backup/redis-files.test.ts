import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { keys } from '../redis/keys.ts';
import { startRedis, type TestRedis } from '../test-support/redis-server.ts';
import { addMember, createOrganization, joinWaitingRoom, memberApi, startTestServer, type TestOrganization, type TestServer } from '../test-support/test-server.ts';
import { eventually } from '../test-support/eventually.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/*
 * Erased means unreadable in Redis's own files too: its append-only file keeps every write until it is
 * rewritten, and its snapshot keeps what it held when taken. Read here byte by byte, as someone with a copy
 * of the data volume would. Names are sealed, so the test looks for what a visitor leaves in clear or as
 * stored: their record's key (it holds their id), their sealed name as stored, and their token's hash.
 * (rdbcompression off, so a string compressed in the snapshot cannot hide from the search.)
 */
describe('erased data leaves Redis’s files: AOF and snapshot rewritten after an erasure, rate-limited (real server, Redis)', function () {
  this.timeout(60_000);
  let redis: TestRedis;
  let server: TestServer;
  let org: TestOrganization;
  let admin: Awaited<ReturnType<typeof memberApi>>;

  before(async () => {
    redis = await startRedis({ extraArgs: ['--rdbcompression', 'no', '--appendfsync', 'everysec'] });
    server = await startTestServer({ redis, env: { REDIS_FILES_REWRITE_MIN_SECONDS: '3', RETENTION_TEST_MINIMUM_SECONDS: '1' } });
    org = await createOrganization(server.services);
    admin = await memberApi(server, org.org.id, (await addMember(server.services, org.org.id, { role: 'admin' })).id);
  });
  after(async () => {
    await server?.close();
    await redis?.stop();
  });

  /** Every file under Redis's dir (the AOF parts, dump.rdb), whole. */
  const redisFiles = () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else files.push(full);
      }
    };
    walk(redis.dir);
    return files.map((file) => ({ file: path.relative(redis.dir, file), bytes: fs.readFileSync(file) }));
  };
  const filesHolding = (needle: string) => redisFiles().filter((f) => f.bytes.includes(Buffer.from(needle))).map((f) => f.file);
  const persistenceIdle = () =>
    eventually(
      async () => {
        const info = await redis.client.info('persistence');
        return /aof_rewrite_in_progress:0/.test(info) && /aof_rewrite_scheduled:0/.test(info) && /rdb_bgsave_in_progress:0/.test(info);
      },
      { what: 'Redis done rewriting', intervalMs: 50 },
    );
  /** Old AOF parts are unlinked in the background, after the rewrite itself. */
  const inNoFile = (traces: string[], what: string) =>
    eventually(
      () => {
        for (const trace of traces) expect(filesHolding(trace), what).to.deep.equal([]);
      },
      { what, timeoutMs: 2000, intervalMs: 50 },
    );
  /** What a visitor leaves in Redis: their record's key, their sealed name as stored, their token's hash. */
  const tracesOf = async (visitorId: string, orgId = org.org.id) => {
    const key = keys.visitor(orgId, visitorId);
    const [name, tokenHash] = await redis.client.hmget(key, 'name', 'tokenHash');
    return [key, name!, tokenHash!];
  };
  const erase = async (visitorId: string) => expect((await admin.call('DELETE', `/api/admin/visitors/${visitorId}`)).status).to.equal(204);

  it('an erased visitor is in the AOF and the snapshot until the purge job has them rewritten; then in no file', async () => {
    const visitor = await joinWaitingRoom(server, org.room.slug, 'Astrid Lindqvist');
    const traces = await tracesOf(visitor.visitorId);
    await redis.client.bgsave();
    await persistenceIdle();
    for (const trace of traces) expect(filesHolding(trace), 'written to the AOF and the snapshot').to.include.members(['dump.rdb']).and.to.have.length.greaterThan(1);

    await erase(visitor.visitorId);
    await sleep(1100); // everysec: the AOF has the erasure, and still the old writes
    for (const trace of traces) expect(filesHolding(trace), 'the live keys are gone, the files still hold them').to.not.deep.equal([]);

    await server.purge.runIfLocked();
    await persistenceIdle();
    await inNoFile(traces, 'nothing of the visitor in any file');
    for (const trace of traces) expect(filesHolding(trace), 'nothing of the visitor in any file').to.deep.equal([]);
  });

  it('rewrites at most once per REDIS_FILES_REWRITE_MIN_SECONDS, and catches up at the first pass after it', async () => {
    const first = await joinWaitingRoom(server, org.room.slug, 'Bjørn Lie');
    await erase(first.visitorId);
    await sleep(3100); // past the gap the first test's rewrite began
    await server.purge.runIfLocked();
    await persistenceIdle();
    const visitor = await joinWaitingRoom(server, org.room.slug, 'Cecilie Dahl');
    const traces = await tracesOf(visitor.visitorId);
    await erase(visitor.visitorId);
    await sleep(1100);

    await server.purge.runIfLocked();
    await persistenceIdle();
    for (const trace of traces) expect(filesHolding(trace), 'within the gap: not rewritten yet').to.not.deep.equal([]);

    await sleep(2000);
    await server.purge.runIfLocked();
    await persistenceIdle();
    await inNoFile(traces, 'after the gap: gone');
    for (const trace of traces) expect(filesHolding(trace), 'after the gap: gone').to.deep.equal([]);
  });

  it('what retention purged leaves the files too, at the next purge pass', async () => {
    const short = await createOrganization(server.services);
    const shortAdmin = await memberApi(server, short.org.id, (await addMember(server.services, short.org.id, { role: 'admin' })).id);
    expect((await shortAdmin.call('PATCH', '/api/admin/organization', { retentionSeconds: 2 })).status).to.equal(200);
    const visitor = await joinWaitingRoom(server, short.room.slug, 'Dag Berg');
    const traces = await tracesOf(visitor.visitorId, short.org.id);
    await sleep(3100); // retention passed, and the gap since the last rewrite
    for (const trace of traces) expect(filesHolding(trace), 'expired in Redis, still in its files').to.not.deep.equal([]);

    await server.purge.runIfLocked();
    await persistenceIdle();
    await inNoFile(traces, 'gone from the files');
    for (const trace of traces) expect(filesHolding(trace), 'gone from the files').to.deep.equal([]);
  });
});
