import type { Redis } from 'ioredis';
import { keys, kindOfKey } from '../redis/keys.ts';
import { defineScript, integer } from '../redis/lua-script.ts';
import { FieldCipherError, type FieldCipher } from './field-cipher.ts';
import { contextOfHashField, sealedKeyId } from './sealed-fields.ts';
import { migrateAuditAddresses } from '../audit/audit-addresses.ts';

/*
 * Key rotation while the service runs. Every process already lists the new key first in
 * DATA_ENCRYPTION_KEYS (so new writes are sealed under it) and the old one after it (so old values still
 * open). This re-seals, key by key, every field still under another key id; then the old key can go.
 *
 * Safe with concurrent writes: a field is replaced only if it still holds the value that was read (one
 * script per key, compare and set). A field someone wrote meanwhile is read again: left alone if it is now
 * under the new key, re-sealed if it is under an old one (a process not yet given the new key wrote it).
 * A key that expired or was erased meanwhile is not brought back. Running it again goes on where it
 * stopped: what is under the new key is skipped.
 *
 * Audit entries' client addresses are sealed copies beside the hash-chained log (audit-addresses.ts), so the
 * hash pass re-seals them. Entries written before that held the address in the stream itself: each
 * organization's are moved once into copies under the new key, bound into the chain by one entry.
 */

/** `fields`: field, value read, value to write, ... Writes each field still holding what was read; answers how many. */
export const resealFields = defineScript({
  name: 'resealFields',
  keys: ['hash'],
  args: ['...fields'],
  lua: (k, a) => `
local replaced = 0
for i = ${a.fields}, #ARGV, 3 do
  if redis.call('HGET', ${k.hash}, ARGV[i]) == ARGV[i + 1] then
    redis.call('HSET', ${k.hash}, ARGV[i], ARGV[i + 2])
    replaced = replaced + 1
  end
end
return replaced
`,
  parse: integer,
});

export interface RotationReport {
  /** The key every field is now sealed under. */
  keyId: string;
  /** Fields re-sealed under it, in all and per organization. */
  resealed: number;
  resealedByOrganization: Map<string, number>;
  /** Fields written meanwhile by the service (left as written, or re-sealed again). */
  concurrentWrites: number;
  /** Sealed values under an old key that could not be opened (their key is not listed, or they were changed): left as they are. */
  unreadable: number;
  /** Fields a process kept writing under an old key as fast as they were re-sealed (it was not given the new key yet). */
  rewrittenUnderOldKey: number;
  /** Sealed values in a place no feature seals in (a bug, or data of a newer version): left as they are. */
  unknownPlaces: string[];
  /**
   * Client addresses of audit entries written before commitments (sealed in the stream): moved by this run
   * into copies under the new key (in how many organizations, each with one entry that binds them into the
   * chain), moved by an earlier run, and those that would not open (their key is not listed): left as they are.
   */
  auditAddresses: { migrated: number; organizations: number; alreadyMigrated: number; unreadable: number };
  /** Webhook events in the outbox still sealed under an old key (they are handed on within moments; run again). */
  outboxEvents: number;
}

const SCAN_COUNT = 500;
const PAGE = 500;
/** Rounds of reading again a field that keeps being written under an old key before it is counted as left. */
const MAX_RETRIES = 5;

export async function rotateSealedFields(redis: Redis, cipher: FieldCipher): Promise<RotationReport> {
  const report: RotationReport = {
    keyId: cipher.currentKeyId,
    resealed: 0,
    resealedByOrganization: new Map(),
    concurrentWrites: 0,
    unreadable: 0,
    rewrittenUnderOldKey: 0,
    unknownPlaces: [],
    auditAddresses: { migrated: 0, organizations: 0, alreadyMigrated: 0, unreadable: 0 },
    outboxEvents: 0,
  };
  for await (const batch of redis.scanStream({ match: '*', type: 'hash', count: SCAN_COUNT }) as AsyncIterable<string[]>) {
    for (const key of batch) await rotateHash(redis, cipher, key, report);
  }
  for await (const batch of redis.scanStream({ match: '*', type: 'stream', count: SCAN_COUNT }) as AsyncIterable<string[]>) {
    for (const key of batch) {
      const where = kindOfKey(key);
      if (where?.kind === 'audit' && key === keys.audit(where.orgId)) {
        const moved = await migrateAuditAddresses(redis, cipher, where.orgId);
        report.auditAddresses.migrated += moved.migrated;
        report.auditAddresses.organizations += moved.entryId ? 1 : 0;
        report.auditAddresses.alreadyMigrated += moved.alreadyMigrated;
        report.auditAddresses.unreadable += moved.unreadable;
      }
      await countStream(redis, cipher, key, report);
    }
  }
  return report;
}

async function rotateHash(redis: Redis, cipher: FieldCipher, key: string, report: RotationReport): Promise<void> {
  let hash = await redis.hgetall(key);
  let pending = Object.keys(hash).filter((field) => isOld(cipher, hash[field]!));
  for (let round = 0; pending.length && round <= MAX_RETRIES; round++) {
    const args: string[] = [];
    for (const field of pending) {
      const stored = hash[field]!;
      const context = contextOfHashField(key, field, hash);
      if (!context) {
        if (round === 0) report.unknownPlaces.push(`${placeOf(key)} ${field}`);
        continue;
      }
      let plain: string;
      try {
        plain = cipher.decrypt(stored, context);
      } catch (error) {
        if (!(error instanceof FieldCipherError)) throw error;
        report.unreadable++;
        continue;
      }
      args.push(field, stored, cipher.encrypt(plain, context));
    }
    if (!args.length) return;
    const replaced = await resealFields.run(redis, { keys: { hash: key }, args: { fields: args } });
    const orgId = kindOfKey(key)?.orgId ?? '';
    report.resealed += replaced;
    report.resealedByOrganization.set(orgId, (report.resealedByOrganization.get(orgId) ?? 0) + replaced);
    if (replaced === args.length / 3) return;
    // Someone wrote some of these fields in between: read them again, as they are now.
    const tried = args.filter((_, i) => i % 3 === 0);
    const now = await redis.hmget(key, ...tried);
    const writtenMeanwhile = tried.filter((_, i) => now[i] !== args[i * 3 + 2]);
    report.concurrentWrites += writtenMeanwhile.length;
    hash = { ...hash, ...Object.fromEntries(tried.map((field, i) => [field, now[i] ?? ''])) };
    pending = writtenMeanwhile.filter((field) => isOld(cipher, hash[field]));
  }
  if (pending.length) report.rewrittenUnderOldKey += pending.length;
}

/**
 * Streams are append-only: their sealed values are counted, not rewritten (see RotationReport). An audit
 * entry's address sealed in the stream was moved to a copy above (or counted as unreadable): its bytes stay,
 * covered by the chain's hash, and nothing reads them once the copy is there.
 */
async function countStream(redis: Redis, cipher: FieldCipher, key: string, report: RotationReport): Promise<void> {
  const where = kindOfKey(key);
  let start = '-';
  for (;;) {
    const page = await redis.xrange(key, start, '+', 'COUNT', PAGE);
    for (const [entryId, flat] of page) {
      for (let i = 1; i < flat.length; i += 2) {
        const value = flat[i]!;
        if (!isOld(cipher, value)) continue;
        if (where?.kind === 'audit' && flat[i - 1] === 'addr') {
          continue;
        } else if (key === keys.webhookOutbox() && flat[i - 1] === 'body') {
          report.outboxEvents++;
        } else {
          report.unknownPlaces.push(`${placeOf(key)} ${flat[i - 1]}`);
        }
      }
      start = `(${entryId}`;
    }
    if (page.length < PAGE) return;
  }
}

const isOld = (cipher: FieldCipher, value: string | undefined) => {
  const keyId = value ? sealedKeyId(value) : null;
  return keyId !== null && keyId !== cipher.currentKeyId;
};

/** A key's kind, for a report: never the ids in it (a session's hash, an access code's hash). */
const placeOf = (key: string) => {
  const where = kindOfKey(key);
  return where ? `{org:${where.orgId}}:${where.kind}` : key.split(':')[0]!;
};
