import type { Redis } from 'ioredis';
import { entryHash } from '../audit/chain-hash.ts';
import { GENESIS } from '../audit/audit-scripts.ts';
import type { FieldCipher } from '../crypto/field-cipher.ts';
import { auditAddressContext } from '../crypto/sealed-fields.ts';
import { keys } from '../redis/keys.ts';

/**
 * An audit entry as versions before address commitments wrote it: the client address sealed in the stream's
 * `addr` field, covered by the entry's hash; the id, prev and hash made as the append script made them, and
 * the head moved. Not atomic (the old script was): call it while nothing else writes to that log.
 */
export async function appendOldFormEntry(
  redis: Redis,
  cipher: FieldCipher,
  entry: { orgId: string; actor: string; action: string; targetId?: string; address?: string },
): Promise<string> {
  const head = await redis.hgetall(keys.auditHead(entry.orgId));
  const [lastMs, lastSeq] = (head.id ?? '0-0').split('-').map(Number) as [number, number];
  const now = Date.now();
  const entryId = lastMs >= now ? `${lastMs}-${lastSeq + 1}` : `${now}-0`;
  const fields: [string, string][] = [
    ['actor', entry.actor],
    ['action', entry.action],
    ...(entry.targetId ? [['target', entry.targetId] as [string, string]] : []),
    ...(entry.address ? [['addr', cipher.encrypt(entry.address, auditAddressContext(entry.orgId))] as [string, string]] : []),
    ['prev', head.hash ?? GENESIS],
  ];
  const hash = entryHash(entryId, new Map(fields.map(([k, v]) => [k, Buffer.from(v)])));
  await redis.xadd(keys.audit(entry.orgId), entryId, ...fields.flat(), 'hash', hash);
  await redis.hset(keys.auditHead(entry.orgId), { id: entryId, hash });
  return entryId;
}
