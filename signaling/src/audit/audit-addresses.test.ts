import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { connectRedis } from '../redis/connection.ts';
import { keys } from '../redis/keys.ts';
import { createLogger } from '../logger.ts';
import { FieldCipher } from '../crypto/field-cipher.ts';
import { rotateSealedFields } from '../crypto/key-rotation.ts';
import { auditAddressCopyContext, sealedKeyId } from '../crypto/sealed-fields.ts';
import { newId } from '../ids.ts';
import { appendOldFormEntry } from '../test-support/audit-old-form.ts';
import { dumpRedis } from '../test-support/redis-dump.ts';
import { startRedis, type TestRedis } from '../test-support/redis-server.ts';
import { AuditLog } from './audit-log.ts';
import { verifyAuditChain } from './audit-verify.ts';
import { readAnchorFile } from './audit-anchors.ts';
import { migrateAuditAddresses, openCopy, RESEALED_ACTION } from './audit-addresses.ts';

const DAY = 86_400_000;
const key = () => randomBytes(32);

/*
 * Audit entries' client addresses and key rotation (real Redis). An entry holds a commitment to its address;
 * the sealed address lives beside the chain, so `keys:rotate` re-seals it, and moves the addresses older
 * versions sealed into the stream itself. After that the old key can go: every address still reads, the
 * chain and its anchors still verify, and a copy swapped or forged is found.
 */
describe('audit log: client addresses across a key rotation (real Redis)', function () {
  this.timeout(60_000);
  let redis: TestRedis;
  let conn: Redis;
  let anchorFile: string;
  const log = createLogger('warn', { write: () => {} });
  const oldKey = { id: 'old1', key: key() };
  const newKey = { id: 'new2', key: key() };
  const oldOnly = new FieldCipher([oldKey]);
  const rotating = new FieldCipher([newKey, oldKey]);
  const newOnly = new FieldCipher([newKey]);

  before(async () => {
    redis = await startRedis();
    conn = connectRedis(redis.url);
    anchorFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'audit-anchor-')), 'anchors.jsonl');
    fs.writeFileSync(anchorFile, '');
  });
  /** Connections a test opens besides `conn` (another process's), closed even when the test fails. */
  const extraConnections: Redis[] = [];
  afterEach(async () => {
    for (const c of extraConnections.splice(0)) await c.quit().catch(() => c.disconnect());
  });
  after(async () => {
    await conn?.quit();
    await redis?.stop();
    fs.rmSync(path.dirname(anchorFile), { recursive: true, force: true });
  });

  async function organization(): Promise<string> {
    const orgId = newId();
    await conn.hset(keys.organization(orgId), { id: orgId, name: 'Test', retentionDays: 90 });
    await conn.sadd(keys.organizations(), orgId);
    return orgId;
  }
  const address = (i: number) => `203.0.113.${i % 250}`;
  const verify = (orgId: string, cipher: FieldCipher | undefined, now = Date.now()) =>
    verifyAuditChain(conn, orgId, readAnchorFile(anchorFile, orgId).anchors, now, cipher);
  const problemsOf = (r: { problems: { kind: string; entryId?: string }[] }) => r.problems.map((p) => [p.kind, p.entryId]);
  const resealedEntries = async (orgId: string) =>
    (await conn.xrange(keys.audit(orgId), '-', '+')).filter(([, f]) => f[f.indexOf('action') + 1] === RESEALED_ACTION);

  it('after keys:rotate the old key can go: every address reads, the chain and its anchors verify, nothing needed is under the old key', async () => {
    const orgs = [await organization(), await organization()];
    const expected = new Map<string, Map<string, string | null>>(orgs.map((o) => [o, new Map()]));
    const oldProcess = new AuditLog(conn, log, oldOnly, anchorFile);
    // Written by the version before commitments (address sealed in the stream), then by this one, on the old key.
    let n = 0;
    for (const orgId of orgs) {
      for (let i = 0; i < 6; i++) {
        const a = address(n++);
        const kept = i === 5 ? null : a;
        expected.get(orgId)!.set(await appendOldFormEntry(conn, oldOnly, { orgId, actor: newId(), action: 'login', ...(kept ? { address: kept } : {}) }), kept);
      }
      for (let i = 0; i < 4; i++) {
        const a = address(n++);
        expected.get(orgId)!.set((await oldProcess.record({ orgId, actor: newId(), action: 'login', address: a, detail: { method: 'bankid' } }))!, a);
      }
      expect(await oldProcess.anchors.anchor(orgId)).to.not.equal(null);
      expect((await verify(orgId, oldOnly)).problems).to.deep.equal([]);
    }

    // The rotation runs while a process still on the old key and one on the new key keep writing entries.
    const newConn = connectRedis(redis.url);
    extraConnections.push(newConn);
    const newProcess = new AuditLog(newConn, log, rotating, anchorFile);
    let writing = true;
    const load = (async () => {
      for (let i = 0; writing || i < 20; i++) {
        const orgId = orgs[i % 2]!;
        const a = address(n++);
        const id = await (i % 3 ? newProcess : oldProcess).record({ orgId, actor: newId(), action: 'view_history', address: a });
        expected.get(orgId)!.set(id!, a);
      }
    })();
    const first = await rotateSealedFields(conn, rotating);
    writing = false;
    await load;
    expect(first.auditAddresses).to.include({ migrated: 10, organizations: 2, unreadable: 0 });

    // The process on the old key is gone; run again: it goes on from where it was, and moves nothing twice.
    const second = await rotateSealedFields(conn, rotating);
    expect(second.auditAddresses).to.deep.equal({ migrated: 0, organizations: 0, alreadyMigrated: 10, unreadable: 0 });
    expect(second.unreadable + second.rewrittenUnderOldKey + second.unknownPlaces.length).to.equal(0);
    for (const orgId of orgs) expect(await resealedEntries(orgId), 'one entry binds the moved addresses').to.have.length(1);

    // The old key removed.
    const onlyNew = new AuditLog(conn, log, newOnly, anchorFile);
    for (const orgId of orgs) {
      await onlyNew.anchors.anchor(orgId);
      for (const [entryId, a] of expected.get(orgId)!) expect(await onlyNew.address(orgId, entryId), entryId).to.equal(a);
      const r = await verify(orgId, newOnly);
      expect(r.problems).to.deep.equal([]);
      expect(r.anchorsChecked).to.equal(2);
      expect(r.addressesChecked).to.equal([...expected.get(orgId)!.values()].filter(Boolean).length);
    }

    // Every key in Redis: sealed values only under the new key, but the bytes older versions sealed into the
    // stream, which the chain covers; each of those has its copy under the new key, which is what is read.
    let oldBytes = 0;
    for (const [redisKey, { type, value }] of await dumpRedis(conn)) {
      if (type === 'hash') {
        for (const [field, stored] of Object.entries(value as Record<string, string>)) if (sealedKeyId(stored) !== null) expect(sealedKeyId(stored), `${redisKey} ${field}`).to.equal('new2');
      } else if (type === 'stream') {
        for (const [entryId, flat] of value as [string, string[]][]) {
          for (let i = 1; i < flat.length; i += 2) {
            if (sealedKeyId(flat[i]!) === null) continue;
            const orgId = orgs.find((o) => redisKey === keys.audit(o));
            expect([orgId !== undefined, flat[i - 1]], redisKey).to.deep.equal([true, 'addr']);
            expect(sealedKeyId((await conn.hget(keys.auditAddresses(orgId!), entryId))!)).to.equal('new2');
            oldBytes++;
          }
        }
      } else {
        for (const item of [value].flat(2)) if (typeof item === 'string') expect(sealedKeyId(item), redisKey).to.equal(null);
      }
    }
    expect(oldBytes).to.equal(10);
  });

  it('a sealed address swapped between entries, forged with the right key, or removed is reported by audit:verify, and is not revealed', async () => {
    const cipher = new FieldCipher([{ id: 'k1', key: key() }]);
    const audit = new AuditLog(conn, log, cipher);
    const orgId = await organization();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await audit.record({ orgId, actor: newId(), action: 'login', address: address(i) }))!);
    const fieldOf = async (entryId: string) => {
      const flat = (await conn.xrange(keys.audit(orgId), entryId, entryId))[0]![1];
      return flat[flat.indexOf('addr') + 1]!;
    };
    const [a, b, c] = [await fieldOf(ids[0]!), await fieldOf(ids[1]!), await fieldOf(ids[2]!)];
    const copies = await conn.hgetall(keys.auditAddresses(orgId));
    expect(JSON.stringify(copies)).not.to.contain(address(0));
    expect((await verify(orgId, cipher)).problems).to.deep.equal([]);

    // Swapped between the first two entries.
    await conn.hset(keys.auditAddresses(orgId), a, copies[b]!, b, copies[a]!);
    expect(problemsOf(await verify(orgId, cipher))).to.deep.equal([['address_mismatch', ids[0]], ['address_mismatch', ids[1]]]);
    expect(await audit.address(orgId, ids[0]!)).to.equal(null);
    expect(await audit.address(orgId, ids[1]!)).to.equal(null);

    // Put back; then another address sealed with the right key, in the right place, with the entry's nonce.
    await conn.hset(keys.auditAddresses(orgId), a, copies[a]!, b, copies[b]!);
    expect((await verify(orgId, cipher)).problems).to.deep.equal([]);
    const { nonce } = openCopy(cipher, orgId, a, copies[a])!;
    await conn.hset(keys.auditAddresses(orgId), a, cipher.encrypt(JSON.stringify({ nonce, address: '198.51.100.66' }), auditAddressCopyContext(orgId, a)));
    expect(problemsOf(await verify(orgId, cipher))).to.deep.equal([['address_mismatch', ids[0]]]);
    expect(await audit.address(orgId, ids[0]!)).to.equal(null);
    expect(await audit.address(orgId, ids[1]!)).to.equal(address(1));

    // Removed.
    await conn.hdel(keys.auditAddresses(orgId), c);
    expect(problemsOf(await verify(orgId, cipher))).to.deep.equal([['address_mismatch', ids[0]], ['address_missing', ids[2]]]);
    // Without the key, the chain is all that can be checked, and it holds.
    expect((await verify(orgId, undefined)).problems).to.deep.equal([]);
  });

  it('addresses moved out of older entries are bound by the rotation\'s digest: one forged, swapped or removed is reported', async () => {
    const [k1, k2] = [{ id: 'k1', key: key() }, { id: 'k2', key: key() }];
    const older = new FieldCipher([k1]);
    const cipher = new FieldCipher([k2, k1]);
    const orgId = await organization();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await appendOldFormEntry(conn, older, { orgId, actor: newId(), action: 'login', address: address(i) }));
    const moved = await migrateAuditAddresses(conn, cipher, orgId);
    expect(moved).to.include({ migrated: 3, alreadyMigrated: 0, unreadable: 0 });
    const [entry] = await resealedEntries(orgId);
    expect(entry![0]).to.equal(moved.entryId);
    const detail = JSON.parse(entry![1][entry![1].indexOf('detail') + 1]!) as { count: number; digest: string };
    expect(detail.count).to.equal(3);
    expect(detail.digest).to.match(/^[0-9a-f]{64}$/);
    expect(await migrateAuditAddresses(conn, cipher, orgId), 'nothing moved twice').to.include({ migrated: 0, alreadyMigrated: 3, entryId: null });
    expect((await verify(orgId, cipher)).problems).to.deep.equal([]);

    const audit = new AuditLog(conn, log, new FieldCipher([k2]));
    expect(await audit.address(orgId, ids[1]!)).to.equal(address(1));
    const copies = await conn.hgetall(keys.auditAddresses(orgId));

    // Forged with the key: the same nonce and rotation, another address.
    const copy = openCopy(cipher, orgId, ids[1]!, copies[ids[1]!])!;
    await conn.hset(keys.auditAddresses(orgId), ids[1]!, cipher.encrypt(JSON.stringify({ ...copy, address: '198.51.100.66' }), auditAddressCopyContext(orgId, ids[1]!)));
    expect(problemsOf(await verify(orgId, cipher))).to.deep.equal([['address_mismatch', moved.entryId]]);

    // Swapped between two entries: they no longer open where they are.
    await conn.hset(keys.auditAddresses(orgId), ids[1]!, copies[ids[2]!]!, ids[2]!, copies[ids[1]!]!);
    expect(await audit.address(orgId, ids[1]!)).to.equal(null);
    expect(await audit.address(orgId, ids[2]!)).to.equal(null);
    expect(problemsOf(await verify(orgId, cipher)).map(([kind]) => kind)).to.include('address_mismatch');

    // Put back, then one removed.
    await conn.hset(keys.auditAddresses(orgId), copies);
    expect((await verify(orgId, cipher)).problems).to.deep.equal([]);
    await conn.hdel(keys.auditAddresses(orgId), ids[0]!);
    expect(problemsOf(await verify(orgId, cipher))).to.deep.equal([['address_missing', moved.entryId]]);
  });

  it('trimming by retention removes the sealed addresses of the entries it removes, and the rest still verifies', async () => {
    const [k1, k2] = [{ id: 'k1', key: key() }, { id: 'k2', key: key() }];
    const older = new FieldCipher([k1]);
    const cipher = new FieldCipher([k2, k1]);
    const audit = new AuditLog(conn, log, cipher);
    const orgId = await organization();
    const early = [
      await appendOldFormEntry(conn, older, { orgId, actor: newId(), action: 'login', address: address(1) }),
      await appendOldFormEntry(conn, older, { orgId, actor: newId(), action: 'login', address: address(2) }),
    ];
    await new Promise((r) => setTimeout(r, 3));
    early.push((await audit.record({ orgId, actor: newId(), action: 'login', address: address(3) }))!);
    const moved = await migrateAuditAddresses(conn, cipher, orgId);
    expect(moved.migrated).to.equal(2);
    await new Promise((r) => setTimeout(r, 5));
    const later: string[] = [];
    for (let i = 0; i < 2; i++) later.push((await audit.record({ orgId, actor: newId(), action: 'login', address: address(10 + i) }))!);
    expect(await conn.hlen(keys.auditAddresses(orgId))).to.equal(5);

    // A year on, retention has passed for the early entries and the rotation's own entry.
    const now = Number(later[0]!.split('-')[0]) + 365 * DAY;
    expect(await audit.trim(orgId, now)).to.equal(4);
    const kept = await conn.hgetall(keys.auditAddresses(orgId));
    expect(Object.keys(kept)).to.have.length(2);
    for (const id of later) expect(await audit.address(orgId, id)).to.be.a('string');
    expect((await verify(orgId, cipher, now)).problems).to.deep.equal([]);

    // Trimmed part way through what a rotation moved: the rest still reads, its digest is set aside.
    const other = await organization();
    const moves = [];
    for (let i = 0; i < 3; i++) {
      moves.push(await appendOldFormEntry(conn, older, { orgId: other, actor: newId(), action: 'login', address: address(20 + i) }));
      await new Promise((r) => setTimeout(r, 3));
    }
    await migrateAuditAddresses(conn, cipher, other);
    const cutAt = Number(moves[1]!.split('-')[0]) + 365 * DAY;
    expect(await audit.trim(other, cutAt)).to.equal(1);
    expect(await conn.hkeys(keys.auditAddresses(other))).to.have.members(moves.slice(1));
    expect(await audit.address(other, moves[2]!)).to.equal(address(22));
    expect((await verify(other, cipher, cutAt)).problems).to.deep.equal([]);
  });
});
