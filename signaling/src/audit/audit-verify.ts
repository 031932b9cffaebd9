import type { Redis } from 'ioredis';
import { z } from 'zod';
import { AUDIT_RETENTION_MIN_DAYS, id } from '../../protocol/index.ts';
import { keys } from '../redis/keys.ts';
import { GENESIS, HASHED_FIELDS } from './audit-scripts.ts';
import { entryHash } from './chain-hash.ts';
import { compareEntryIds } from './audit-entry.ts';
import type { AuditAnchor } from './audit-anchors.ts';
import type { FieldCipher } from '../crypto/field-cipher.ts';
import { sealedKeyId } from '../crypto/sealed-fields.ts';
import { copyFieldOf, addressOf, isCommitment, RESEALED_ACTION, resealedDigest, resealedLineOf } from './audit-addresses.ts';

export type AuditProblemKind =
  /** An entry's content no longer matches its own hash. */
  | 'edited'
  /** An entry does not follow the one before it: one between them was removed, or the one before was changed. */
  | 'broken_link'
  /** The first entries are gone and no checkpoint covers them. */
  | 'removed_at_start'
  /** The chain's head names another last entry: entries at the end were removed (or the head was changed). */
  | 'head_mismatch'
  /** The checkpoint is more recent than any retention allows: entries were removed early. */
  | 'early_checkpoint'
  /** An anchored entry is gone, or is not what was anchored: the stream was rewritten. */
  | 'anchor_missing'
  | 'anchor_mismatch'
  /**
   * (With the data key.) An entry's sealed address does not match it: changed, swapped with another's, or
   * forged; or the addresses a key rotation re-sealed are not those it recorded.
   */
  | 'address_mismatch'
  /** (With the data key.) An entry's sealed address is gone, or some of those a key rotation re-sealed are. */
  | 'address_missing';

export interface AuditProblem {
  kind: AuditProblemKind;
  entryId?: string;
  message: string;
}

export interface AuditVerification {
  /** Entries checked, from the checkpoint (or the start) to the head. */
  checked: number;
  checkpointId: string | null;
  headId: string | null;
  /** Anchors compared with the chain (older ones, trimmed away with their entries, are not counted). */
  anchorsChecked: number;
  /** Client addresses checked against their entries (0 without the data key). */
  addressesChecked: number;
  problems: AuditProblem[];
}

const PAGE = 1000;
const KNOWN_FIELDS = new Set<string>([...HASHED_FIELDS, 'hash']);
const DAY_MS = 86_400_000;
const dateOf = (entryIdOrMs: string | number) => new Date(typeof entryIdOrMs === 'number' ? entryIdOrMs : Number(entryIdOrMs.split('-')[0])).toISOString();

/**
 * Walks an organization's audit chain from its checkpoint to its head: every entry must match its own hash
 * and follow the one before it; the head must name the last entry; and every anchor written outside Redis
 * must still be found, unchanged. With the data key (`cipher`), every entry's client address must also
 * open and match the commitment the entry holds, and the addresses a key rotation moved out of older entries
 * must be those its entry recorded. Reads only; answers every problem found.
 */
export async function verifyAuditChain(
  redis: Redis,
  orgId: string,
  anchors: AuditAnchor[],
  now = Date.now(),
  cipher?: FieldCipher,
): Promise<AuditVerification> {
  const [checkpoint, head] = await Promise.all([redis.hgetall(keys.auditCheckpoint(orgId)), redis.hgetall(keys.auditHead(orgId))]);
  const problems: AuditProblem[] = [];
  const anchored = new Set(anchors.map((a) => a.entryId));
  const hashOfAnchored = new Map<string, string>();

  let expectedPrev = checkpoint.hash ?? GENESIS;
  let previousId: string | null = checkpoint.id ?? null;
  let checked = 0;
  let start = '-';
  // Entries appended while this runs come after the head read above: they are checked like the others.
  let hashAtHead: string | null = null;
  const addresses = new AddressCheck(orgId, cipher);
  for (;;) {
    const batch = (await redis.xrangeBuffer(keys.audit(orgId), start, '+', 'COUNT', PAGE)) as [Buffer, Buffer[]][];
    const withAddress: [string, string][] = [];
    for (const [rawId, flat] of batch) {
      const entryId = rawId.toString();
      const fields = new Map<string, Buffer>();
      let strange = false;
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const name = flat[i]!.toString();
        if (!KNOWN_FIELDS.has(name) || fields.has(name)) strange = true;
        fields.set(name, flat[i + 1]!);
      }
      const computed = entryHash(entryId, fields);
      const stored = fields.get('hash')?.toString() ?? null;
      if (strange || stored !== computed) {
        problems.push({ kind: 'edited', entryId, message: `entry ${entryId} (${dateOf(entryId)}) was changed after it was written: it does not match its own hash` });
      }
      const prev = fields.get('prev')?.toString();
      if (prev !== expectedPrev) {
        problems.push(
          previousId === null
            ? { kind: 'removed_at_start', entryId, message: `entries before ${entryId} were removed: it is not the first entry and no checkpoint covers those before it` }
            : {
                kind: 'broken_link',
                entryId,
                message: `the chain breaks between ${previousId} and ${entryId}: an entry between them was removed, or ${previousId} was changed`,
              },
        );
      }
      if (anchored.has(entryId)) hashOfAnchored.set(entryId, computed);
      const addr = fields.get('addr')?.toString();
      if (addr) withAddress.push([entryId, addr]);
      if (fields.get('action')?.toString() === RESEALED_ACTION) addresses.resealedBy(entryId, fields.get('target')?.toString(), fields.get('detail')?.toString());
      if (entryId === head.id) hashAtHead = computed;
      expectedPrev = stored ?? computed;
      previousId = entryId;
      checked++;
      start = `(${entryId}`;
    }
    if (cipher && withAddress.length) {
      const copies = await redis.hmget(keys.auditAddresses(orgId), ...withAddress.map(([entryId, addr]) => copyFieldOf(entryId, addr)));
      withAddress.forEach(([entryId, addr], i) => addresses.check(entryId, addr, copies[i], problems));
    }
    if (batch.length < PAGE) break;
  }
  addresses.checkResealed(checkpoint.id ?? null, problems);

  // Everything trimmed: the head is the checkpoint's entry.
  if (head.id && head.id === checkpoint.id) hashAtHead = checkpoint.hash ?? null;
  if (head.id && hashAtHead !== head.hash) {
    const cut = !previousId || compareEntryIds(previousId, head.id) < 0;
    problems.push({
      kind: 'head_mismatch',
      entryId: head.id,
      message: cut
        ? `entries at the end were removed: the last entry is ${previousId ?? '(none)'} but the chain's head is ${head.id}`
        : `the chain's head (${head.id}) does not match the last entry`,
    });
  }
  if (checkpoint.id && Number(checkpoint.id.split('-')[0]) > now - AUDIT_RETENTION_MIN_DAYS * DAY_MS) {
    problems.push({
      kind: 'early_checkpoint',
      entryId: checkpoint.id,
      message: `entries up to ${checkpoint.id} (${dateOf(checkpoint.id)}) were removed, earlier than any audit retention (${AUDIT_RETENTION_MIN_DAYS} days at least) allows`,
    });
  }

  let anchorsChecked = 0;
  for (const anchor of anchors) {
    const when = dateOf(anchor.at);
    if (checkpoint.id && compareEntryIds(anchor.entryId, checkpoint.id) < 0) continue;
    anchorsChecked++;
    const found = checkpoint.id === anchor.entryId ? checkpoint.hash : hashOfAnchored.get(anchor.entryId);
    if (found === undefined) {
      problems.push({ kind: 'anchor_missing', entryId: anchor.entryId, message: `entry ${anchor.entryId}, anchored on ${when}, is gone: the stream was rewritten or cut` });
    } else if (found !== anchor.hash) {
      problems.push({ kind: 'anchor_mismatch', entryId: anchor.entryId, message: `entry ${anchor.entryId} is not what was anchored on ${when}: the stream was rewritten` });
    }
  }
  return { checked, checkpointId: checkpoint.id ?? null, headId: head.id ?? null, anchorsChecked, addressesChecked: addresses.checked, problems };
}

/** What a key rotation's entry says it re-sealed (the detail it wrote). */
const resealedDetail = z.object({ run: id, count: z.number().int().min(1), digest: z.string().regex(/^[0-9a-f]{64}$/) });

/** The address checks of one walk along the chain (with the data key; without it, nothing is checked). */
class AddressCheck {
  checked = 0;
  /** The commitments of the copies each key rotation made, by its run. */
  private readonly resealed = new Map<string, { entryId: string; commitment: string }[]>();
  private readonly rotations: { entryId: string; firstId: string | undefined; detail: z.infer<typeof resealedDetail> | null }[] = [];

  constructor(
    private readonly orgId: string,
    private readonly cipher: FieldCipher | undefined,
  ) {}

  check(entryId: string, addr: string, copy: string | null | undefined, problems: AuditProblem[]): void {
    const cipher = this.cipher!;
    this.checked++;
    if (isCommitment(addr)) {
      if (!copy) problems.push({ kind: 'address_missing', entryId, message: `the client address of entry ${entryId} (${dateOf(entryId)}) is gone` });
      else if (addressOf(cipher, this.orgId, entryId, addr, copy) === null) {
        problems.push({
          kind: 'address_mismatch',
          entryId,
          message: `the client address kept for entry ${entryId} (${dateOf(entryId)}) does not match the entry: it was changed, swapped or forged (or is sealed under a key not listed)`,
        });
      }
      return;
    }
    if (sealedKeyId(addr) === null) {
      problems.push({ kind: 'address_mismatch', entryId, message: `entry ${entryId} (${dateOf(entryId)}) holds no sealed address nor a commitment to one` });
      return;
    }
    // Written before commitments: a key rotation's copy is checked against its digest below; without a
    // copy the address is as written, and opens while its key is listed (the entry's hash covers it).
    if (!copy) return;
    const line = resealedLineOf(cipher, this.orgId, entryId, copy);
    if (!line) {
      problems.push({
        kind: 'address_mismatch',
        entryId,
        message: `the client address a key rotation re-sealed for entry ${entryId} (${dateOf(entryId)}) does not open for it: it was changed or moved (or is sealed under a key not listed)`,
      });
      return;
    }
    const lines = this.resealed.get(line.run) ?? [];
    lines.push({ entryId, commitment: line.commitment });
    this.resealed.set(line.run, lines);
  }

  resealedBy(entryId: string, firstId: string | undefined, detail: string | undefined): void {
    let parsed = null;
    try {
      parsed = resealedDetail.safeParse(JSON.parse(detail ?? ''));
    } catch {
      // Reported below as not what a rotation writes.
    }
    this.rotations.push({ entryId, firstId, detail: parsed?.success ? parsed.data : null });
  }

  /** Each key rotation's copies against its digest (unless retention has trimmed some of its entries since). */
  checkResealed(checkpointId: string | null, problems: AuditProblem[]): void {
    if (!this.cipher) return;
    for (const { entryId, firstId, detail } of this.rotations) {
      const when = dateOf(entryId);
      if (!detail) {
        problems.push({ kind: 'address_mismatch', entryId, message: `entry ${entryId} (${when}) does not say which addresses it re-sealed` });
        continue;
      }
      const lines = this.resealed.get(detail.run) ?? [];
      this.resealed.delete(detail.run);
      if (checkpointId && firstId && compareEntryIds(firstId, checkpointId) <= 0) continue;
      if (lines.length < detail.count) {
        problems.push({
          kind: 'address_missing',
          entryId,
          message: `${detail.count - lines.length} of the ${detail.count} client addresses re-sealed by the key rotation of ${when} (entry ${entryId}) are gone`,
        });
      } else if (lines.length > detail.count || resealedDigest(lines) !== detail.digest) {
        problems.push({
          kind: 'address_mismatch',
          entryId,
          message: `the client addresses re-sealed by the key rotation of ${when} (entry ${entryId}) are not those it recorded: one or more were changed, swapped or forged`,
        });
      }
    }
    for (const [, lines] of this.resealed) {
      for (const { entryId } of lines) {
        problems.push({ kind: 'address_mismatch', entryId, message: `the client address kept for entry ${entryId} (${dateOf(entryId)}) names a key rotation that is not in the log: it was forged` });
      }
    }
  }
}
