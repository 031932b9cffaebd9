/**
 * `npm run restore -- <file> [--replace]`: loads a backup into Redis (stop the service first; --replace when
 * Redis holds data), then erases again what was erased since the backup and lets retention catch up.
 * Reads the server's settings (REDIS_URL, DATA_ENCRYPTION_KEYS, ADDRESS_HASH_KEY, BACKUP_KEEP_DAYS...) and
 * BACKUP_KEY (or BACKUP_KEY_FILE) from the environment or the root `.env`.
 */
import { parseArgs } from 'node:util';
import { AuditLog } from '../audit/audit-log.ts';
import { loadConfig, readRootDotEnv, resolveSettingFiles } from '../config.ts';
import { ConsultationStore } from '../consultations/consultation-store.ts';
import { FieldCipher } from '../crypto/field-cipher.ts';
import { createLogger } from '../logger.ts';
import { OrganizationStore } from '../organizations/organization-store.ts';
import { PaymentService } from '../payments/payment-service.ts';
import { stripeFromConfig } from '../payments/stripe-client.ts';
import { connectRedis } from '../redis/connection.ts';
import { Webhooks } from '../webhooks/webhook-outbox.ts';
import { BackupError } from './backup.ts';
import { backupKeyFrom } from './backup-settings.ts';
import { restoreBackup } from './restore.ts';

const usage = 'usage: npm run restore -- <backup file> [--replace]';

async function main(): Promise<number> {
  let file: string | undefined;
  let replace = false;
  try {
    const parsed = parseArgs({ allowPositionals: true, options: { replace: { type: 'boolean' } } });
    if (parsed.positionals.length !== 1) throw new Error();
    file = parsed.positionals[0];
    replace = parsed.values.replace ?? false;
  } catch {
    process.stderr.write(`restore: ${usage}\n`);
    return 1;
  }
  readRootDotEnv();
  let config, key;
  try {
    key = backupKeyFrom(process.env);
    // Secrets may come from files (`<NAME>_FILE`), as for the server.
    config = loadConfig(resolveSettingFiles(process.env));
  } catch (err) {
    process.stderr.write(`restore: ${(err as Error).message}\n`);
    return 1;
  }
  const log = createLogger('warn');
  const redis = connectRedis(config.REDIS_URL);
  const fieldCipher = FieldCipher.fromSetting(config.DATA_ENCRYPTION_KEYS);
  const services = {
    config,
    log,
    redis,
    organizations: new OrganizationStore(redis, fieldCipher, config.ADDRESS_HASH_KEY),
    consultations: new ConsultationStore(redis, fieldCipher, config.ADDRESS_HASH_KEY),
    audit: new AuditLog(redis, log, fieldCipher, config.AUDIT_ANCHOR_FILE),
    payments: new PaymentService(redis, stripeFromConfig(config), log),
    webhooks: new Webhooks(redis, fieldCipher, config, log),
  };
  try {
    const done = await restoreBackup(services, { file: file!, key, replace });
    process.stdout.write(
      `restore: ${done.restored} keys loaded (${done.expired} past their retention left out); erased again since the backup: ` +
        `${done.erasedVisitors} visitors, ${done.erasedInvitees} invited by number or address, ${done.erasedOrganizations} organizations; ` +
        `retention shortened again for ${done.shortenedRetentions} organizations; ${done.purged} index entries purged\n`,
    );
    for (const name of done.unreadLedgers) process.stdout.write(`restore: warning: could not read the erasure ledger of the newer backup ${name} (another key, or damaged)\n`);
    return 0;
  } catch (err) {
    if (err instanceof BackupError) {
      process.stderr.write(`restore: refused: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(`restore: failed: ${(err as Error).message}\n`);
    return 1;
  } finally {
    redis.disconnect();
  }
}

process.exit(await main());
