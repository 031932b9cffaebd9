/**
 * `npm run keys:rotate`: re-seals every personal field still under an old data key, while the service runs.
 *
 * 1. Make a key (`openssl rand -base64 32`) and give every server `DATA_ENCRYPTION_KEYS=<new id>:<new
 *    key>,<old id>:<old key>` (new first: it seals; the old one still opens), and restart them one by one.
 * 2. Run this with the same setting. It goes through every key in Redis and re-seals what is under the old
 *    key (audit entries' client addresses included: those of entries written before they were kept apart
 *    from the log are moved into copies under the new key, one audit entry per organization binding them
 *    into the chain); run again if it stops or says so, it goes on from where it was.
 * 3. Remove the old key from the setting, and restart the servers.
 *
 * Reads REDIS_URL and DATA_ENCRYPTION_KEYS (or their `_FILE`s) from the environment, or the root `.env` as
 * `npm start` does. Recorded in every organization's audit log as an operator command. Exits 0 when no
 * field is left under an old key, 1 when some are (said which kind), 2 when it cannot run.
 */
import { AuditLog } from '../audit/audit-log.ts';
import { readRootDotEnv, resolveSettingFiles } from '../config.ts';
import { createLogger } from '../logger.ts';
import { connectRedis } from '../redis/connection.ts';
import { keys } from '../redis/keys.ts';
import { FieldCipher, parseFieldKeys } from './field-cipher.ts';
import { rotateSealedFields } from './key-rotation.ts';

const say = (line: string) => process.stdout.write(`keys:rotate: ${line}\n`);
const refuse = (line: string) => {
  process.stderr.write(`keys:rotate: ${line}\n`);
  return 2;
};

async function main(): Promise<number> {
  if (process.argv.length > 2) return refuse('takes no arguments (it reads DATA_ENCRYPTION_KEYS and REDIS_URL)');
  readRootDotEnv();
  let env;
  try {
    env = resolveSettingFiles(process.env);
  } catch (error) {
    return refuse((error as Error).message);
  }
  if (!env.REDIS_URL || !env.DATA_ENCRYPTION_KEYS) return refuse('REDIS_URL and DATA_ENCRYPTION_KEYS must be set (as for the server)');
  let cipher: FieldCipher;
  let keyIds: string[];
  try {
    const parsed = parseFieldKeys(env.DATA_ENCRYPTION_KEYS);
    keyIds = parsed.map((k) => k.id);
    cipher = new FieldCipher(parsed);
  } catch (error) {
    return refuse(`DATA_ENCRYPTION_KEYS: ${(error as Error).message}`);
  }
  if (keyIds.length < 2) {
    return refuse('DATA_ENCRYPTION_KEYS lists one key: list the new key first and the old one after it (on every server too), then run this');
  }

  const redis = connectRedis(env.REDIS_URL);
  try {
    say(`re-sealing every field under key ${cipher.currentKeyId} (from ${keyIds.slice(1).join(', ')})`);
    let report;
    try {
      report = await rotateSealedFields(redis, cipher);
    } catch (error) {
      // What was re-sealed stays re-sealed; a run again goes on from there.
      return refuse(`stopped: ${(error as Error).message}`);
    }
    say(`${report.resealed} fields re-sealed${report.concurrentWrites ? `; ${report.concurrentWrites} written by the service meanwhile were left as written or re-sealed again` : ''}`);

    const audit = new AuditLog(redis, createLogger('warn'), undefined);
    for (const orgId of await redis.smembers(keys.organizations())) {
      const resealed = Math.min(report.resealedByOrganization.get(orgId) ?? 0, 9_999_999);
      await audit.record({ orgId, actor: 'operator', action: 'operator_command', detail: { command: 'keys_rotate', keyId: cipher.currentKeyId, resealed } });
    }

    const { auditAddresses } = report;
    if (auditAddresses.migrated) {
      say(
        `${auditAddresses.migrated} audit entries' client addresses, sealed in the log itself by an older version, were re-sealed under ` +
          `${cipher.currentKeyId} beside it (in ${auditAddresses.organizations} organization(s), each with an audit entry that binds them into the chain)`,
      );
    }
    let left = false;
    if (auditAddresses.unreadable) {
      left = true;
      say(`${auditAddresses.unreadable} audit entries' client addresses could not be opened with DATA_ENCRYPTION_KEYS (their key is not listed, or they were changed): left as they are`);
    }
    if (report.outboxEvents) {
      left = true;
      say(`${report.outboxEvents} webhook events waiting in the outbox are sealed under an old key; they are handed on within moments: run keys:rotate again`);
    }
    if (report.unreadable) {
      left = true;
      say(`${report.unreadable} fields under an old key could not be opened with DATA_ENCRYPTION_KEYS (their key is not listed, or they were changed): left as they are`);
    }
    if (report.rewrittenUnderOldKey) {
      left = true;
      say(`${report.rewrittenUnderOldKey} fields kept being written under an old key: a server still lists it first; give every server the new key first, then run keys:rotate again`);
    }
    if (report.unknownPlaces.length) {
      left = true;
      say(`fields under an old key in places no feature seals in, left as they are: ${[...new Set(report.unknownPlaces)].join('; ')}`);
    }
    if (!left) say(`no field is left under an old key: remove ${keyIds.slice(1).join(', ')} from DATA_ENCRYPTION_KEYS`);
    return left ? 1 : 0;
  } finally {
    await redis.quit();
  }
}

process.exit(await main());
