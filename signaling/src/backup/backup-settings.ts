import fs from 'node:fs';
import { BackupError, parseBackupKey, type BackupKey } from './backup.ts';

/** The backup key from BACKUP_KEY or the file BACKUP_KEY_FILE names (a container secret); never both. */
export function backupKeyFrom(env: NodeJS.ProcessEnv): BackupKey {
  if (env.BACKUP_KEY && env.BACKUP_KEY_FILE) throw new BackupError('set BACKUP_KEY or BACKUP_KEY_FILE, not both');
  if (env.BACKUP_KEY_FILE) {
    let text: string;
    try {
      text = fs.readFileSync(env.BACKUP_KEY_FILE, 'utf8');
    } catch (err) {
      throw new BackupError(`BACKUP_KEY_FILE: cannot read ${env.BACKUP_KEY_FILE} (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`);
    }
    return parseBackupKey(text);
  }
  if (!env.BACKUP_KEY) throw new BackupError('BACKUP_KEY or BACKUP_KEY_FILE must be set (the backup key, apart from the data keys)');
  return parseBackupKey(env.BACKUP_KEY);
}

export function backupKeepDaysFrom(env: NodeJS.ProcessEnv): number {
  const value = env.BACKUP_KEEP_DAYS ?? '14';
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 365) throw new BackupError('BACKUP_KEEP_DAYS must be a whole number of days, 1 to 365');
  return Number(value);
}
