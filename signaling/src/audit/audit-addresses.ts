import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { id } from '../../protocol/index.ts';
import { FieldCipherError, type FieldCipher } from '../crypto/field-cipher.ts';
import { auditAddressContext, auditAddressCopyContext, sealedKeyId } from '../crypto/sealed-fields.ts';
import { newId } from '../ids.ts';
import { keys } from '../redis/keys.ts';
import { resealAuditAddresses } from './audit-scripts.ts';
import { auditRecord, compareEntryIds } from './audit-entry.ts';

/*
 * An audit entry's client address, kept so that the data key can rotate. The chain's hash covers what the
 * entry holds, and a sealed value can never be re-sealed without changing it; so the entry holds only a
 * commitment to its address, SHA-256 over a 256-bit random nonce and the address, and the sealed nonce and
 * address live beside the log (keys.auditAddresses), where key rotation re-seals them like any sealed field.
 * The nonce is only inside the ciphertext, so the chain (and its anchors) tell nothing about the address;
 * and no other nonce and address give the same commitment, so a copy swapped, or forged even by someone
 * holding the key, no longer matches its entry.
 *
 * Entries written before this held their address sealed in the stream. Key rotation moves those to a copy
 * too (keyed by the entry's id), and binds the copies into the chain with one entry of its own whose detail
 * is a digest over the copies' commitments (`resealed` below): after that, their old key can go.
 */

/** The action of the entry a key rotation appends when it moves addresses out of the stream. */
export const RESEALED_ACTION = 'audit_addresses_resealed' as const;

const COMMITMENT = /^c1:[0-9a-f]{64}$/;
export const isCommitment = (value: string) => COMMITMENT.test(value);

/** What a copy holds: the nonce and the address; `run` names the key rotation that moved it (old entries only). */
const copyContent = z.strictObject({ nonce: z.string().regex(/^[0-9a-f]{64}$/), address: z.string().min(1).max(100), run: id.optional() });
type CopyContent = z.infer<typeof copyContent>;

export function commitmentOf(orgId: string, nonce: string, address: string): string {
  return `c1:${createHash('sha256').update(`audit-address1\n${orgId}\n${nonce}\n${address}`, 'utf8').digest('hex')}`;
}

/** A new entry's address: the commitment the entry holds, and the sealed copy stored under it. */
export function sealAddress(cipher: FieldCipher, orgId: string, address: string): { commitment: string; copy: string } {
  const nonce = randomBytes(32).toString('hex');
  const commitment = commitmentOf(orgId, nonce, address);
  return { commitment, copy: cipher.encrypt(JSON.stringify({ nonce, address }), auditAddressCopyContext(orgId, commitment)) };
}

/** A copy's content, or null when it does not open here (changed, moved from another place, its key gone) or holds something else. */
export function openCopy(cipher: FieldCipher, orgId: string, field: string, stored: string | null | undefined): CopyContent | null {
  const plain = cipher.open(stored, auditAddressCopyContext(orgId, field));
  if (plain === null) return null;
  try {
    const parsed = copyContent.safeParse(JSON.parse(plain));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Where an entry's copy is kept: under its commitment, or under its id for an address sealed in the stream. */
export const copyFieldOf = (entryId: string, addr: string) => (isCommitment(addr) ? addr : entryId);

/**
 * The address an entry stands for, given what its `addr` holds and its copy (HGET of copyFieldOf); null when
 * there is none or it does not hold: a copy that does not open or does not match the entry's commitment.
 */
export function addressOf(cipher: FieldCipher, orgId: string, entryId: string, addr: string, copy: string | null | undefined): string | null {
  if (isCommitment(addr)) {
    const c = openCopy(cipher, orgId, addr, copy);
    return c && !c.run && commitmentOf(orgId, c.nonce, c.address) === addr ? c.address : null;
  }
  // Written before commitments: the copy a key rotation made (bound into the chain by its digest, which
  // audit:verify checks), else the address as sealed in the stream, while its key is listed.
  if (copy) {
    const c = openCopy(cipher, orgId, entryId, copy);
    return c?.run ? c.address : null;
  }
  return cipher.open(addr, auditAddressContext(orgId));
}

/** The digest a key rotation's entry holds: SHA-256 over `<entry id>:<commitment>` lines, in the log's order. */
export function resealedDigest(lines: { entryId: string; commitment: string }[]): string {
  const sorted = [...lines].sort((a, b) => compareEntryIds(a.entryId, b.entryId));
  return createHash('sha256').update(sorted.map((l) => `${l.entryId}:${l.commitment}`).join('\n'), 'utf8').digest('hex');
}

/** A copy of an old entry's address as verification sees it: which rotation moved it, and its commitment. */
export function resealedLineOf(cipher: FieldCipher, orgId: string, entryId: string, copy: string | null | undefined): { run: string; commitment: string } | null {
  const c = openCopy(cipher, orgId, entryId, copy);
  return c?.run ? { run: c.run, commitment: commitmentOf(orgId, c.nonce, c.address) } : null;
}

export interface AddressMigration {
  /** Addresses moved out of the stream into copies under the current key, by this run. */
  migrated: number;
  /** Addresses moved by an earlier run (skipped). */
  alreadyMigrated: number;
  /** Addresses in the stream that do not open with the keys listed: left as they are. */
  unreadable: number;
  /** The entry that binds this run's copies into the chain, if it moved any. */
  entryId: string | null;
}

const PAGE = 500;
/** Rounds of reading again when the log changed under a run (a trim, or another run at the same time). */
const ATTEMPTS = 5;

/**
 * Moves every address still sealed in an organization's stream to a copy under the cipher's current key,
 * and appends the entry that binds them into the chain (actor `operator`, the count and the digest; its
 * target is the oldest entry moved, so verification knows when retention has trimmed some of them). One
 * script writes the copies and the entry together. Running again moves only what is left.
 */
export async function migrateAuditAddresses(redis: Redis, cipher: FieldCipher, orgId: string): Promise<AddressMigration> {
  for (let attempt = 0; ; attempt++) {
    const result: AddressMigration = { migrated: 0, alreadyMigrated: 0, unreadable: 0, entryId: null };
    const run = newId();
    const moves: { entryId: string; stored: string; address: string; nonce: string }[] = [];
    let start = '-';
    for (;;) {
      const page = await redis.xrange(keys.audit(orgId), start, '+', 'COUNT', PAGE);
      const old: [string, string][] = [];
      for (const [entryId, flat] of page) {
        const i = flat.indexOf('addr');
        const addr = i >= 0 && i % 2 === 0 ? flat[i + 1]! : '';
        if (sealedKeyId(addr) !== null) old.push([entryId, addr]);
        start = `(${entryId}`;
      }
      const copies = old.length ? await redis.hmget(keys.auditAddresses(orgId), ...old.map(([entryId]) => entryId)) : [];
      old.forEach(([entryId, stored], i) => {
        if (copies[i]) return void result.alreadyMigrated++;
        try {
          moves.push({ entryId, stored, address: cipher.decrypt(stored, auditAddressContext(orgId)), nonce: randomBytes(32).toString('hex') });
        } catch (error) {
          if (!(error instanceof FieldCipherError)) throw error;
          result.unreadable++;
        }
      });
      if (page.length < PAGE) break;
    }
    if (!moves.length) return result;

    const lines = moves.map((m) => ({ entryId: m.entryId, commitment: commitmentOf(orgId, m.nonce, m.address) }));
    const entry = auditRecord.parse({
      orgId,
      actor: 'operator',
      action: RESEALED_ACTION,
      targetId: moves[0]!.entryId,
      detail: { run, count: moves.length, digest: resealedDigest(lines) },
    });
    const copies: string[] = [];
    for (const m of moves) {
      copies.push(m.entryId, m.stored, cipher.encrypt(JSON.stringify({ nonce: m.nonce, address: m.address, run }), auditAddressCopyContext(orgId, m.entryId)));
    }
    const written = await resealAuditAddresses.run(redis, {
      keys: { stream: keys.audit(orgId), head: keys.auditHead(orgId), addresses: keys.auditAddresses(orgId) },
      args: { actor: entry.actor, action: entry.action, target: entry.targetId!, session: '', addr: '', detail: JSON.stringify(entry.detail), moves: copies },
    });
    if (written !== 'changed') return { ...result, migrated: moves.length, entryId: written.entryId };
    if (attempt + 1 >= ATTEMPTS) throw new Error('the audit log kept changing while its addresses were being moved; run again');
  }
}
