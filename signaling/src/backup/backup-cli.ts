/**
 * `npm run backup`: an encrypted snapshot of Redis into BACKUP_DIR, named by its time, then the backups
 * older than BACKUP_KEEP_DAYS (14) deleted. Reads REDIS_URL, BACKUP_KEY (or BACKUP_KEY_FILE), BACKUP_DIR
 * and BACKUP_KEEP_DAYS from the environment or the root `.env`. Run it from cron or a systemd timer.
 */
import { readRootDotEnv, resolveSettingFiles } from '../config.ts';
import { connectRedis } from '../redis/connection.ts';
import { BackupError, writeBackup } from './backup.ts';
import { backupKeepDaysFrom, backupKeyFrom } from './backup-settings.ts';

async function main(): Promise<number> {
  readRootDotEnv();
  let settings;
  try {
    // Secrets may come from files (`<NAME>_FILE`), as for the server.
    Object.assign(process.env, resolveSettingFiles(process.env));
    if (!process.env.REDIS_URL) throw new BackupError('REDIS_URL must be set (as for the server)');
    if (!process.env.BACKUP_DIR) throw new BackupError('BACKUP_DIR must be set (the folder backups go to)');
    settings = { key: backupKeyFrom(process.env), keepDays: backupKeepDaysFrom(process.env), dir: process.env.BACKUP_DIR };
  } catch (err) {
    process.stderr.write(`backup: ${(err as Error).message}\n`);
    return 1;
  }
  const redis = connectRedis(process.env.REDIS_URL!);
  try {
    const done = await writeBackup(redis, settings);
    process.stdout.write(`backup: ${done.keys} keys written to ${done.file} (backup key "${settings.key.id}")\n`);
    for (const name of done.deleted) process.stdout.write(`backup: deleted ${name} (older than ${settings.keepDays} days)\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`backup: failed, no backup written: ${(err as Error).message}\n`);
    return 1;
  } finally {
    redis.disconnect();
  }
}

process.exit(await main());
