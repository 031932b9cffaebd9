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
import { newId } from '../ids.ts';
import { startRedis, type TestRedis } from '../test-support/redis-server.ts';
import { AuditLog } from './audit-log.ts';
import type { AuditRecord } from './audit-entry.ts';
import { verifyAuditChain } from './audit-verify.ts';
import { readAnchorFile } from './audit-anchors.ts';
import { entryHash } from './chain-hash.ts';
import { GENESIS, appendAudit, trimAudit } from './audit-scripts.ts';

const DAY = 86_400_000;

/*
 * The audit chain on a real Redis: the hash computed by the Lua script is the SHA-256 that verification
 * recomputes in Node; a removed, edited or consistently rewritten entry is found; trimming keeps a
 * checkpoint; two processes writing at once keep one chain.
 */
describe('audit log: the hash chain (real Redis)', function () {
  this.timeout(30_000);
  let redis: TestRedis;
  let conn: Redis;
  let audit: AuditLog;
  let anchorFile: string;
  const lines: string[] = [];
  const log = createLogger('info', { write: (chunk: string) => void lines.push(chunk) });
  const cipher = new FieldCipher([{ id: 'k1', key: randomBytes(32) }]);

  before(async () => {
    redis = await startRedis();
    conn = connectRedis(redis.url);
    anchorFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'audit-anchor-')), 'anchors.jsonl');
    fs.writeFileSync(anchorFile, '');
    audit = new AuditLog(conn, log, cipher, anchorFile);
  });
  after(async () => {
    await conn?.quit();
    await redis?.stop();
    fs.rmSync(path.dirname(anchorFile), { recursive: true, force: true });
  });

  /** An organization with `n` entries of varied shapes (with and without target, session, address, detail). */
  async function orgWithEntries(n: number): Promise<{ orgId: string; ids: string[] }> {
    const orgId = newId();
    await conn.hset(keys.organization(orgId), { id: orgId, name: 'Test', retentionDays: 90 });
    await conn.sadd(keys.organizations(), orgId);
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const id = await audit.record({
        orgId,
        actor: i % 3 === 0 ? 'system' : newId(),
        action: i % 2 ? 'admit' : 'login',
        ...(i % 2 ? { targetId: newId() } : { detail: { method: 'password_totp' } }),
        ...(i % 3 === 1 ? { sessionHash: randomBytes(32).toString('hex'), address: `10.0.0.${i}` } : {}),
      });
      if (!id) throw new Error('not recorded');
      ids.push(id);
    }
    return { orgId, ids };
  }

  const verify = (orgId: string, now = Date.now()) => verifyAuditChain(conn, orgId, readAnchorFile(anchorFile, orgId).anchors, now);
  const kinds = (r: { problems: { kind: string }[] }) => r.problems.map((p) => p.kind);

  it('each entry holds the SHA-256 of the one before it, as Node computes it, starting from the genesis value', async () => {
    const { orgId, ids } = await orgWithEntries(5);
    const entries = await conn.xrangeBuffer(keys.audit(orgId), '-', '+');
    expect(entries.map(([id]) => id.toString())).to.deep.equal(ids);
    let prev = GENESIS;
    for (const [id, flat] of entries) {
      const fields = new Map<string, Buffer>();
      for (let i = 0; i < flat.length; i += 2) fields.set(flat[i]!.toString(), flat[i + 1]!);
      expect(fields.get('prev')!.toString()).to.equal(prev);
      const hash = entryHash(id.toString(), fields);
      expect(fields.get('hash')!.toString()).to.equal(hash);
      prev = hash;
    }
    expect(await conn.hgetall(keys.auditHead(orgId))).to.deep.equal({ id: ids[4], hash: prev });
    const result = await verify(orgId);
    expect(result.problems).to.deep.equal([]);
    expect(result.checked).to.equal(5);
  });

  it('a long entry (several SHA-256 blocks, multi-byte characters) hashes the same in Lua and in Node', async () => {
    const orgId = newId();
    // Real entries hold only plain values; the hash must still agree on any bytes (a tampered entry).
    const detail = JSON.stringify({ x: 'æøå'.repeat(60), y: 'a'.repeat(300) });
    for (const d of [detail, 'x'.repeat(55), 'x'.repeat(56), 'x'.repeat(64), '']) {
      await appendAudit.run(conn, {
        keys: { stream: keys.audit(orgId), head: keys.auditHead(orgId), addresses: keys.auditAddresses(orgId) },
        args: { actor: 'system', action: 'login', target: '', session: '', addr: '', detail: d },
      });
    }
    expect((await verify(orgId)).problems).to.deep.equal([]);
  });

  it('an edited entry is found, and so is the entry whose link to it no longer holds when the edit also fixed its hash', async () => {
    const { orgId, ids } = await orgWithEntries(6);
    // Edited in place (XADD over the same id is impossible, so: the stream rebuilt with one field changed).
    await rewrite(orgId, (id, f) => (id === ids[2] ? f.set('action', 'logout') : f));
    expect((await verify(orgId)).problems.map((p) => [p.kind, p.entryId])).to.deep.equal([['edited', ids[2]]]);

    const other = await orgWithEntries(6);
    await rewrite(other.orgId, (id, f) => (id === other.ids[2] ? rehash(id, f.set('action', 'logout')) : f));
    const r = await verify(other.orgId);
    expect(r.problems.map((p) => [p.kind, p.entryId])).to.deep.equal([['broken_link', other.ids[3]]]);
    expect(r.problems[0]!.message).to.contain(other.ids[2]).and.contain(other.ids[3]);
  });

  it('an entry deleted from the middle, from the start or from the end is found', async () => {
    const middle = await orgWithEntries(5);
    await conn.xdel(keys.audit(middle.orgId), middle.ids[2]!);
    expect((await verify(middle.orgId)).problems.map((p) => [p.kind, p.entryId])).to.deep.equal([['broken_link', middle.ids[3]]]);

    const start = await orgWithEntries(3);
    await conn.xdel(keys.audit(start.orgId), start.ids[0]!);
    expect(kinds(await verify(start.orgId))).to.deep.equal(['removed_at_start']);

    const end = await orgWithEntries(3);
    await conn.xdel(keys.audit(end.orgId), end.ids[2]!);
    const r = await verify(end.orgId);
    expect(kinds(r)).to.deep.equal(['head_mismatch']);
    expect(r.problems[0]!.message).to.contain('entries at the end were removed');
  });

  it('a stream rewritten consistently (every hash and the head recomputed) passes the chain but not the anchor', async () => {
    const { orgId, ids } = await orgWithEntries(4);
    const anchor = await audit.anchors.anchor(orgId);
    expect(anchor).to.include({ orgId, entryId: ids[3] });
    await audit.record({ orgId, actor: 'system', action: 'call_end', targetId: newId() });
    expect((await verify(orgId)).problems).to.deep.equal([]);

    // Someone with Redis access drops an entry and rebuilds the chain after it, head included.
    await rewrite(orgId, (id, f) => (id === ids[1] ? null : f), { rechain: true });
    const r = await verify(orgId);
    expect(kinds(r)).to.deep.equal(['anchor_mismatch']);
    expect(r.problems[0]!.entryId).to.equal(ids[3]);

    // Rebuilt with new ids altogether: the anchored entry is gone.
    await rewrite(orgId, (_id, f) => f, { rechain: true, newIds: true });
    expect(kinds(await verify(orgId))).to.deep.equal(['anchor_missing']);
  });

  it('trimming by time removes old entries, keeps a checkpoint, and the rest still verifies (anchors older than it are set aside)', async () => {
    const { orgId, ids } = await orgWithEntries(3);
    await audit.anchors.anchor(orgId);
    await new Promise((r) => setTimeout(r, 5));
    const later: string[] = [];
    for (let i = 0; i < 3; i++) later.push((await audit.record({ orgId, actor: 'system', action: 'call_end', targetId: newId() }))!);
    const cut = Number(later[0]!.split('-')[0]);
    // The purge job a year on: retention (365 days by default) has passed for the first three only.
    const now = cut + 365 * DAY;
    expect(await audit.trim(orgId, now)).to.equal(3);
    expect((await conn.xrange(keys.audit(orgId), '-', '+')).map(([id]) => id)).to.deep.equal(later);
    const checkpoint = await conn.hgetall(keys.auditCheckpoint(orgId));
    expect(checkpoint.id).to.equal(ids[2]);
    const r = await verify(orgId, now);
    expect(r.problems).to.deep.equal([]);
    expect(r).to.include({ checked: 3, checkpointId: ids[2], anchorsChecked: 1 });
    expect(await audit.trim(orgId, now), 'nothing more to trim').to.equal(0);

    // Everything trimmed: the head and the checkpoint name the same entry, and a new entry follows on.
    expect(await audit.trim(orgId, now + 30 * DAY)).to.equal(3);
    await audit.record({ orgId, actor: 'system', action: 'call_end', targetId: newId() });
    expect((await verify(orgId, now + 30 * DAY)).problems).to.deep.equal([]);
  });

  it('a shorter audit retention trims more; a checkpoint newer than any retention allows is reported', async () => {
    const { orgId } = await orgWithEntries(2);
    await audit.setRetentionDays(orgId, 30);
    expect(await audit.trim(orgId, Date.now() + 31 * DAY)).to.equal(2);
    expect(kinds(await verify(orgId, Date.now() + 31 * DAY))).to.deep.equal([]);

    // Trimmed by hand, today, as if retention were a day.
    const other = await orgWithEntries(3);
    await trimAudit.run(conn, {
      keys: { stream: keys.audit(other.orgId), checkpoint: keys.auditCheckpoint(other.orgId), addresses: keys.auditAddresses(other.orgId) },
      args: { minId: `${Date.now() + 1000}-0` },
    });
    expect(kinds(await verify(other.orgId))).to.deep.equal(['early_checkpoint']);
  });

  it('two processes writing at once keep one chain', async () => {
    const orgId = newId();
    const second = connectRedis(redis.url);
    try {
      const other = new AuditLog(second, log, cipher);
      const writes: Promise<string | null>[] = [];
      for (let i = 0; i < 200; i++) writes.push((i % 2 ? audit : other).record({ orgId, actor: 'system', action: 'view_history', detail: { n: i } }));
      const ids = await Promise.all(writes);
      expect(ids.every(Boolean)).to.equal(true);
      expect(new Set(ids).size).to.equal(200);
      const r = await verify(orgId);
      expect(r.problems).to.deep.equal([]);
      expect(r.checked).to.equal(200);
      // One chain: every prev value is used exactly once.
      const prevs = (await conn.xrange(keys.audit(orgId), '-', '+')).map(([, f]) => f[f.indexOf('prev') + 1]);
      expect(new Set(prevs).size).to.equal(200);
    } finally {
      await second.quit();
    }
  });

  it('the address is stored encrypted, decrypts for its own organization only, and is not stored without a key', async () => {
    const orgId = newId();
    const id = (await audit.record({ orgId, actor: newId(), action: 'login', address: '203.0.113.7', detail: { method: 'bankid' } }))!;
    const raw = JSON.stringify(await conn.xrange(keys.audit(orgId), '-', '+'));
    expect(raw).not.to.contain('203.0.113.7');
    expect(await audit.address(orgId, id)).to.equal('203.0.113.7');
    // Copied into another organization's log, the ciphertext does not decrypt there.
    const other = newId();
    const addr = (await conn.xrange(keys.audit(orgId), id, id))[0]![1];
    const copy = await conn.xadd(keys.audit(other), '*', ...addr);
    expect(await audit.address(other, copy!)).to.equal(null);

    const noKeys = new AuditLog(conn, log, undefined);
    const plain = (await noKeys.record({ orgId, actor: 'system', action: 'login_failed', address: '203.0.113.8' }))!;
    expect((await conn.xrange(keys.audit(orgId), plain, plain))[0]![1]).not.to.include('addr');
  });

  it('an entry with a name, an e-mail address, a phone number or free text in it is refused and logged without the value', async () => {
    const orgId = newId();
    const bad: Partial<AuditRecord>[] = [
      { detail: { who: 'Kari Nordmann' } },
      { detail: { email: 'kari@example.com' } },
      { detail: { phone: '+4791234567' } },
      { detail: { phone: '91234567' } },
      { detail: { n: 4791234567 } },
      { targetId: 'kari@example.com' },
      { sessionHash: 'not-a-hash' },
    ];
    for (const extra of bad) expect(await audit.record({ orgId, actor: 'system', action: 'login', ...extra }), JSON.stringify(extra)).to.equal(null);
    expect(await conn.exists(keys.audit(orgId))).to.equal(0);
    const all = lines.join('');
    for (const secret of ['Kari', 'kari@example.com', '4791234567', '91234567']) expect(all).not.to.contain(secret);
    expect(all).to.contain('audit entry refused');

    // A SHA-256 digest in hex (a key rotation's, of the addresses it re-sealed) is no phone number.
    const digest = `4791234567${'ab'.repeat(27)}`;
    expect(await audit.record({ orgId, actor: 'operator', action: 'audit_addresses_resealed', detail: { digest } })).to.be.a('string');
    expect(await audit.record({ orgId, actor: 'operator', action: 'audit_addresses_resealed', detail: { digest: digest.slice(0, 63) } })).to.equal(null);
  });

  // ---------- tampering helpers: what someone with write access to Redis could do ----------

  type Fields = Map<string, string>;

  function rehash(id: string, f: Fields): Fields {
    const buffers = new Map([...f].map(([k, v]) => [k, Buffer.from(v)]));
    return f.set('hash', entryHash(id, buffers));
  }

  /**
   * Rebuilds an organization's stream: `change` may alter an entry's fields or drop it (null). With
   * `rechain`, every prev and hash after a change is recomputed and the head moved, as a careful forger would.
   */
  async function rewrite(orgId: string, change: (id: string, f: Fields) => Fields | null, opts: { rechain?: boolean; newIds?: boolean } = {}) {
    const entries = await conn.xrange(keys.audit(orgId), '-', '+');
    await conn.del(keys.audit(orgId));
    let prev = GENESIS;
    let last: [string, string] | null = null;
    let ms = Number(entries[0]![0].split('-')[0]) + (opts.newIds ? 1 : 0);
    for (const [oldId, flat] of entries) {
      const f: Fields = new Map();
      for (let i = 0; i < flat.length; i += 2) f.set(flat[i]!, flat[i + 1]!);
      const changed = change(oldId, f);
      if (!changed) continue;
      const id = opts.newIds ? `${ms++}-7` : oldId;
      if (opts.rechain) {
        changed.set('prev', prev);
        rehash(id, changed);
        prev = changed.get('hash')!;
      }
      await conn.xadd(keys.audit(orgId), id, ...[...changed].flat());
      last = [id, changed.get('hash')!];
    }
    if (opts.rechain && last) await conn.hset(keys.auditHead(orgId), { id: last[0], hash: last[1] });
  }
});
