import { keys, kindOfKey } from '../redis/keys.ts';
import type { Services } from '../services.ts';
import { ErasureLedger } from '../backup/erasure-ledger.ts';
import { markRewriteDue } from '../backup/redis-files.ts';

/** What stays of a deleted organization: its payments' bookkeeping records, as the law requires. */
const KEPT_KINDS = new Set(['transaction', 'transactions']);

/**
 * The end of a contract. At once: the organization's links stop working, its members are logged out and
 * cannot log in again, and no one can reach its data. Then, when ORGANIZATION_DELETION_DAYS have passed,
 * the purge job erases everything it held but the bookkeeping records (`eraseOrganization`).
 */
export async function closeOrganization(s: Pick<Services, 'redis' | 'organizations' | 'sessions' | 'apiKeys'>, orgId: string, now = Date.now()): Promise<boolean> {
  const org = await s.organizations.getOrganization(orgId);
  if (!org) return false;
  const [pros, rooms] = await Promise.all([s.organizations.listProfessionals(orgId), s.organizations.listRooms(orgId)]);
  const tx = s.redis.multi().hset(keys.organization(orgId), 'deletedAt', now);
  for (const room of rooms) tx.del(keys.roomBySlug(room.slug));
  for (const pro of pros) tx.del(s.organizations.emailIndexKey(pro.email));
  await tx.exec();
  // Its EHR systems' API keys stop working at once (and are gone for good).
  await s.apiKeys.revokeAll(orgId);
  // Open dashboards notice their session is gone within SESSION_CHECK_SECONDS and close.
  for (const pro of pros) await s.sessions.destroyAllOf(orgId, pro.id);
  return true;
}

/** Whether a closed organization's data is due to go. */
export function deletionDue(deletedAt: number | null, deletionDays: number, now: number): boolean {
  return deletedAt !== null && now >= deletedAt + deletionDays * 86_400_000;
}

/**
 * Erases a closed organization: every key under its hash tag but the bookkeeping records (a SCAN of the key
 * space, once per organization at the end of its contract), and its place in the list of organizations.
 * Answers how many keys went.
 */
export async function eraseOrganization(s: Pick<Services, 'redis' | 'log' | 'config' | 'webhooks'>, orgId: string, now = Date.now()): Promise<number> {
  let erased = 0;
  let cursor = '0';
  do {
    const [next, found] = await s.redis.scan(cursor, 'MATCH', keys.allOf(orgId), 'COUNT', 1000);
    cursor = next;
    const doomed = found.filter((key) => !KEPT_KINDS.has(kindOfKey(key)?.kind ?? ''));
    if (doomed.length) erased += await s.redis.del(...doomed);
  } while (cursor !== '0');
  // Recorded, so a restore of an older backup erases it again; Redis's files are rewritten soon after.
  const ledger = new ErasureLedger(s.config.ADDRESS_HASH_KEY, s.config.BACKUP_KEEP_DAYS);
  // (Its entries among the organizations with e-mail or reminders due go with it: that work went with its keys.)
  const tx = s.redis.multi().srem(keys.organizations(), orgId).zrem(keys.emailOrganizations(), orgId).zrem(keys.reminderOrganizations(), orgId);
  ledger.record(tx, [ledger.organizationEntry(orgId)], now);
  await markRewriteDue(tx, now).exec();
  // Its webhook work waiting in the shared outbox (ids only, or an event sealed for this organization) goes too.
  erased += await s.webhooks.outbox.forgetOrganization(orgId);
  s.log.info({ orgId, erased }, 'organization erased at the end of its contract (bookkeeping records kept)');
  return erased;
}
