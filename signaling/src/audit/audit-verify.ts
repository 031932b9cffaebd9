import type { Redis } from 'ioredis';
import { AUDIT_RETENTION_MIN_DAYS } from '../../protocol/index.ts';
import { keys } from '../redis/keys.ts';
import { GENESIS, HASHED_FIELDS } from './audit-scripts.ts';
import { entryHash } from './chain-hash.ts';
import { compareEntryIds } from './audit-entry.ts';
import type { AuditAnchor } from './audit-anchors.ts';

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
  | 'anchor_mismatch';

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
  problems: AuditProblem[];
}

const PAGE = 1000;
const KNOWN_FIELDS = new Set<string>([...HASHED_FIELDS, 'hash']);
const DAY_MS = 86_400_000;
const dateOf = (entryIdOrMs: string | number) => new Date(typeof entryIdOrMs === 'number' ? entryIdOrMs : Number(entryIdOrMs.split('-')[0])).toISOString();

/**
 * Walks an organization's audit chain from its checkpoint to its head: every entry must match its own hash
 * and follow the one before it; the head must name the last entry; and every anchor written outside Redis
 * must still be found, unchanged. Reads only; answers every problem found.
 */
export async function verifyAuditChain(redis: Redis, orgId: string, anchors: AuditAnchor[], now = Date.now()): Promise<AuditVerification> {
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
  for (;;) {
    const batch = (await redis.xrangeBuffer(keys.audit(orgId), start, '+', 'COUNT', PAGE)) as [Buffer, Buffer[]][];
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
      if (entryId === head.id) hashAtHead = computed;
      expectedPrev = stored ?? computed;
      previousId = entryId;
      checked++;
      start = `(${entryId}`;
    }
    if (batch.length < PAGE) break;
  }

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
  return { checked, checkpointId: checkpoint.id ?? null, headId: head.id ?? null, anchorsChecked, problems };
}
