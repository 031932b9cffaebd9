import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { keys } from '../redis/keys.ts';
import { diffDumps, dumpRedis } from '../test-support/redis-dump.ts';
import { addMember, createOrganization, joinWaitingRoom, memberApi, startTestServer, type TestOrganization, type TestServer } from '../test-support/test-server.ts';
import { BackupError, backupFileName, parseBackupKey, writeBackup } from './backup.ts';
import { restoreBackup } from './restore.ts';
import { closeOrganization, eraseOrganization } from '../retention/organization-deletion.ts';

const run = promisify(execFile);
const DAY = 86_400_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const makeKey = (id: string) => parseBackupKey(`${id}:${randomBytes(32).toString('base64')}`);

/*
 * Backups and restores as an operator runs them, against a real Redis and server: a restore never brings
 * back a visitor erased, or whose retention passed, since its backup; another key's backup or a damaged one
 * is refused and the running data stays as it was; backups past BACKUP_KEEP_DAYS are deleted.
 */
describe('backups that respect erasure: npm run backup / npm run restore (real server, Redis)', function () {
  this.timeout(60_000);
  let server: TestServer;
  let org: TestOrganization;
  let admin: Awaited<ReturnType<typeof memberApi>>;
  let dir: string;
  const key = makeKey('b1');

  before(async () => {
    server = await startTestServer({ env: { RETENTION_TEST_MINIMUM_SECONDS: '1' } });
    org = await createOrganization(server.services);
    admin = await memberApi(server, org.org.id, (await addMember(server.services, org.org.id, { role: 'admin' })).id);
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'consult-backups-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  after(async () => {
    await server?.close();
  });

  /** Every key and value in Redis, as text, but the audit log (which names who was acted on by opaque id, by design). */
  const everythingOutsideAudit = async () => JSON.stringify([...(await dumpRedis(server.redis.client))].filter(([k]) => !/:audit(-|$)/.test(k)));
  /**
   * Redis as a refused restore must leave it. The webhook outbox aside: the running server drains it on its
   * own clock (entries restored by the earlier tests are claimed when idle), whatever a restore does.
   */
  const dumpOutsideOutbox = async () => new Map([...(await dumpRedis(server.redis.client))].filter(([k]) => !k.startsWith('{webhooks}:')));
  /** Waits until the server's background work leaves Redis as it is for a moment. */
  const settled = async () => {
    for (let i = 0; i < 30; i++) {
      const started = Date.now();
      const first = await dumpOutsideOutbox();
      await sleep(300);
      if (!diffDumps(first, await dumpOutsideOutbox(), Date.now() - started).length) return;
    }
    throw new Error('Redis never settled');
  };
  const erase = async (visitorId: string) => expect((await admin.call('DELETE', `/api/admin/visitors/${visitorId}`)).status).to.equal(204);

  it('backup, erase a visitor, restore: nothing of the erased visitor is in any key; the others are back as they were', async () => {
    const erased = await joinWaitingRoom(server, org.room.slug, 'Astrid Lindqvist');
    const kept = await joinWaitingRoom(server, org.room.slug, 'Bjørn Lie');
    const { file } = await writeBackup(server.redis.client, { dir, key, keepDays: 14 });
    expect(fs.statSync(file).mode & 0o777, 'readable by its owner only').to.equal(0o600);
    expect(fs.readFileSync(file).includes(Buffer.from(erased.visitorId)), 'the backup is encrypted').to.equal(false);
    await erase(erased.visitorId);

    const report = await restoreBackup(server.services, { file, key, replace: true });
    expect(report.erasedVisitors).to.equal(1);
    expect(await everythingOutsideAudit()).not.to.include(erased.visitorId);
    expect(await server.redis.client.exists(keys.visitor(org.org.id, erased.visitorId))).to.equal(0);
    expect((await server.services.waitingRoom.getVisitor(org.org.id, kept.visitorId))?.name).to.equal('Bjørn Lie');
    expect(await server.redis.client.zrange(keys.waiting(org.org.id, org.room.id), '0', '-1')).to.deep.equal([kept.visitorId]);
  });

  it('backup, erase someone invited by phone and e-mail who never came, restore: their number, address and link stay erased', async () => {
    const invite = async (phone: string, email: string) =>
      (
        await server.services.consultations.create(
          { orgId: org.org.id, roomId: org.room.id, professionalId: org.professional.id, scheduledAt: null, prefill: { phone }, invitation: { channels: ['sms', 'email'], language: 'nb', email } },
          30 * DAY,
        )
      ).consultation.id;
    const erased = await invite('+4791600111', 'erased.invitee@example.no');
    const kept = await invite('+4791600222', 'kept.invitee@example.no');
    const { file } = await writeBackup(server.redis.client, { dir, key, keepDays: 14 });
    const found = async (q: string) => ((await admin.call('POST', '/api/admin/visitors/search', { q })).body as { invitees: { inviteeId: string }[] }).invitees;
    const [match] = await found('+47 916 00 111');
    expect((await admin.call('DELETE', `/api/admin/invitees/${match!.inviteeId}`)).status).to.equal(204);

    const report = await restoreBackup(server.services, { file, key, replace: true });
    expect(report.erasedInvitees).to.equal(1);
    expect(await found('+47 916 00 111')).to.deep.equal([]);
    expect(await found('erased.invitee@example.no')).to.deep.equal([]);
    expect(await server.redis.client.exists(keys.invitee(org.org.id, match!.inviteeId))).to.equal(0);
    expect(await server.redis.client.hkeys(keys.consultation(org.org.id, erased))).not.to.include.members(['prefillPhone', 'visitorEmail', 'linkSecret', 'inviteeIds']);
    expect(await server.services.consultations.invitationContact(org.org.id, kept), 'the others are back').to.deep.include({ phone: '+4791600222', email: 'kept.invitee@example.no' });
    expect(await found('+47 916 00 222')).to.have.length(1);
  });

  it('Redis lost with its ledger: an older backup learns the erasures from the newer backups beside it', async () => {
    const erased = await joinWaitingRoom(server, org.room.slug, 'Cecilie Dahl');
    const older = await writeBackup(server.redis.client, { dir, key, keepDays: 14, now: Date.now() - 60_000 });
    await erase(erased.visitorId);
    await writeBackup(server.redis.client, { dir, key, keepDays: 14 });
    await server.redis.client.flushall();

    const report = await restoreBackup(server.services, { file: older.file, key, replace: false });
    expect(report.erasedVisitors).to.equal(1);
    expect(await everythingOutsideAudit()).not.to.include(erased.visitorId);
    expect(await server.services.organizations.getOrganization(org.org.id), 'the rest is back').to.not.equal(null);
  });

  it('backup, let retention pass, restore: what retention removed since is gone at once', async () => {
    const short = await createOrganization(server.services);
    const shortAdmin = await memberApi(server, short.org.id, (await addMember(server.services, short.org.id, { role: 'admin' })).id);
    expect((await shortAdmin.call('PATCH', '/api/admin/organization', { retentionSeconds: 2 })).status).to.equal(200);
    const expired = await joinWaitingRoom(server, short.room.slug, 'Dag Berg');
    const { file } = await writeBackup(server.redis.client, { dir, key, keepDays: 14 });

    // The restore runs by its own clock, 2.5 s on: the retention of 2 s has passed for it.
    const report = await restoreBackup(server.services, { file, key, replace: true, now: Date.now() + 2_500 });
    expect(report.expired).to.be.greaterThan(0);
    expect(await everythingOutsideAudit()).not.to.include(expired.visitorId);
    for (const [k, ttl] of [...(await dumpRedis(server.redis.client))].map(([k, v]) => [k, v.ttl] as const)) {
      if (k.startsWith(`{org:${short.org.id}}:visitor`)) expect.fail(`${k} came back (ttl ${ttl})`);
    }
  });

  it('backup, shorten the retention, restore: what the shortening deleted stays deleted, and the setting is the shorter one', async () => {
    const clinic = await createOrganization(server.services);
    const clinicAdmin = await memberApi(server, clinic.org.id, (await addMember(server.services, clinic.org.id, { role: 'admin' })).id);
    const visitor = await joinWaitingRoom(server, clinic.room.slug, 'Gunnar Aas');
    const { file } = await writeBackup(server.redis.client, { dir, key, keepDays: 14 });
    await sleep(1100);
    expect((await clinicAdmin.call('PATCH', '/api/admin/organization', { retentionSeconds: 1 })).status).to.equal(200);
    expect(await server.redis.client.exists(keys.visitor(clinic.org.id, visitor.visitorId)), 'deleted by the shortening').to.equal(0);

    const report = await restoreBackup(server.services, { file, key, replace: true });
    expect(report.shortenedRetentions).to.equal(1);
    expect(await everythingOutsideAudit()).not.to.include(visitor.visitorId);
    expect((await server.services.organizations.getOrganization(clinic.org.id))!.retentionMs).to.equal(1000);
  });

  it('a backup made with another key, or damaged, is refused with a message and the running data stays as it was', async () => {
    await joinWaitingRoom(server, org.room.slug, 'Eva Moe');
    const { file } = await writeBackup(server.redis.client, { dir, key, keepDays: 14 });
    // The server's own background work (its webhook outbox taking the arrival's events) finishes first.
    await settled();
    const bytes = fs.readFileSync(file);
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 40]! ^= 0x01;
    const newline = bytes.indexOf(0x0a);
    const head = bytes.subarray(0, newline).toString().replace(/("createdAt":\d*)(\d)/, (_, rest: string, last: string) => `${rest}${(Number(last) + 1) % 10}`);
    const retitled = Buffer.concat([Buffer.from(head), bytes.subarray(newline)]);
    const cases: [string, Buffer, ReturnType<typeof makeKey>, RegExp][] = [
      ['another key', bytes, makeKey('b2'), /made with backup key "b1", not with this BACKUP_KEY \("b2"\)/],
      ['another key under the same id', bytes, makeKey('b1'), /damaged or altered/],
      ['a flipped byte', flipped, key, /damaged or altered/],
      ['cut short', bytes.subarray(0, bytes.length - 100), key, /damaged or altered/],
      ['a header altered', retitled, key, /damaged or altered/],
      ['not a backup', Buffer.from('hello\n'), key, /not a backup of this service/],
    ];
    for (const [what, content, withKey, message] of cases) {
      const bad = path.join(dir, 'bad.cbk');
      fs.writeFileSync(bad, content);
      const started = Date.now();
      const before = await dumpOutsideOutbox();
      const refused = await restoreBackup(server.services, { file: bad, key: withKey, replace: true }).then(
        () => null,
        (err: Error) => err,
      );
      expect(refused, what).to.be.instanceOf(BackupError);
      expect(refused!.message, what).to.match(message);
      expect(diffDumps(before, await dumpOutsideOutbox(), Date.now() - started), `${what}: nothing changed`).to.deep.equal([]);
    }

    // The operator's command says so, with exit code 1, and touches nothing either.
    const started = Date.now();
    const before = await dumpOutsideOutbox();
    const env = { ...process.env, REDIS_URL: server.redis.url, DATA_ENCRYPTION_KEYS: server.services.config.DATA_ENCRYPTION_KEYS, ADDRESS_HASH_KEY: server.services.config.ADDRESS_HASH_KEY, PUBLIC_ORIGIN: server.origin, BACKUP_KEY: `b2:${randomBytes(32).toString('base64')}` };
    const cli = await run('npx', ['tsx', 'signaling/src/backup/restore-cli.ts', file, '--replace'], { env }).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => err,
    );
    expect([cli.code, cli.stderr.trim()]).to.deep.equal([1, 'restore: refused: made with backup key "b1", not with this BACKUP_KEY ("b2")']);
    const missing = await run('npx', ['tsx', 'signaling/src/backup/restore-cli.ts', path.join(dir, 'nothing-here.cbk')], { env }).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => err,
    );
    expect([missing.code, missing.stderr.trim()]).to.deep.equal([1, `restore: refused: cannot read ${path.join(dir, 'nothing-here.cbk')}: ENOENT`]);
    expect(diffDumps(before, await dumpOutsideOutbox(), Date.now() - started)).to.deep.equal([]);
  });

  it('restoring over data asks for --replace, and changes nothing without it', async () => {
    const { file } = await writeBackup(server.redis.client, { dir, key, keepDays: 14 });
    const refused = await restoreBackup(server.services, { file, key, replace: false }).catch((err: Error) => err);
    expect((refused as Error).message).to.match(/Redis holds data already.*--replace/);
  });

  it('npm run backup writes an encrypted backup and deletes those older than BACKUP_KEEP_DAYS, and no others', async () => {
    const now = Date.now();
    const old = await writeBackup(server.redis.client, { dir, key, keepDays: 14, now: now - 15 * DAY });
    const recent = await writeBackup(server.redis.client, { dir, key, keepDays: 14, now: now - 13 * DAY });
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'not a backup: never deleted');
    const env = { ...process.env, REDIS_URL: server.redis.url, BACKUP_DIR: dir, BACKUP_KEY: `b1:${key.key.toString('base64')}`, BACKUP_KEEP_DAYS: '14' };
    const { stdout } = await run('npx', ['tsx', 'signaling/src/backup/backup-cli.ts'], { env });
    expect(stdout).to.include(`deleted ${path.basename(old.file)} (older than 14 days)`);
    const left = fs.readdirSync(dir).sort();
    expect(left).to.have.length(3);
    expect(left).to.include.members([path.basename(recent.file), 'notes.txt']);
    expect(left.some((name) => name !== path.basename(recent.file) && name.endsWith('.cbk')), 'the new one').to.equal(true);
    expect(backupFileName(now - 15 * DAY)).to.equal(path.basename(old.file));

    // Bad settings: a message naming the setting, exit code 1, no file written.
    for (const [setting, value, message] of <[string, string, string][]>[
      ['BACKUP_KEY', 'short', 'BACKUP_KEY must be <key id>:<base64 of 32 random bytes>'],
      ['BACKUP_KEEP_DAYS', '0', 'BACKUP_KEEP_DAYS must be a whole number of days, 1 to 365'],
      ['BACKUP_KEY_FILE', path.join(dir, 'missing-key'), `BACKUP_KEY_FILE: cannot read ${path.join(dir, 'missing-key')} (ENOENT)`],
    ]) {
      const failed = await run('npx', ['tsx', 'signaling/src/backup/backup-cli.ts'], { env: { ...env, ...(setting === 'BACKUP_KEY_FILE' ? { BACKUP_KEY: '' } : {}), [setting]: value } }).then(
        () => ({ code: 0, stderr: '' }),
        (err: { code: number; stderr: string }) => err,
      );
      expect([failed.code, failed.stderr.trim().split('\n')[0]], setting).to.deep.equal([1, `backup: ${message}${setting === 'BACKUP_KEY' ? ', e.g. b1:$(openssl rand -base64 32)' : ''}`]);
    }
    expect(fs.readdirSync(dir)).to.have.length(3);
  });

  it('an organization erased at the end of its contract since the backup is erased again by the restore (bookkeeping records aside)', async () => {
    const closing = await createOrganization(server.services);
    const visitor = await joinWaitingRoom(server, closing.room.slug, 'Frida Holm');
    const { file } = await writeBackup(server.redis.client, { dir, key, keepDays: 14 });
    await closeOrganization(server.services, closing.org.id);
    await eraseOrganization(server.services, closing.org.id);

    const report = await restoreBackup(server.services, { file, key, replace: true });
    expect(report.erasedOrganizations).to.equal(1);
    const left = [...(await dumpRedis(server.redis.client)).keys()].filter((k) => k.includes(closing.org.id));
    expect(left).to.deep.equal([]);
    expect(await everythingOutsideAudit()).not.to.include(visitor.visitorId);
    expect(await server.redis.client.sismember(keys.organizations(), closing.org.id)).to.equal(0);
    expect(await server.services.organizations.getOrganization(org.org.id), 'the other organizations are back').to.not.equal(null);
  });
});
