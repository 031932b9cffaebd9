/**
 * `npm run org:close -- --org <id>`: the end of an organization's contract, by an operator. Its links stop
 * working and its members are logged out at once; its data goes ORGANIZATION_DELETION_DAYS later (the
 * purge job), all but the bookkeeping records of its payments. The command is recorded in the
 * organization's audit log (which goes with the rest).
 *
 * Reads REDIS_URL, DATA_ENCRYPTION_KEYS and ADDRESS_HASH_KEY (or their `_FILE`s) from the environment (or the root `.env`, as
 * `npm start` does): the members' e-mail index is keyed, and their records sealed.
 */
import fs from 'node:fs';
import { parseArgs, parseEnv } from 'node:util';
import { id } from '../../protocol/index.ts';
import { AuditLog } from '../audit/audit-log.ts';
import { resolveSettingFiles } from '../config.ts';
import { ApiKeyStore } from '../api/api-key-store.ts';
import { SessionStore } from '../auth/session-store.ts';
import { createLogger } from '../logger.ts';
import { OrganizationStore } from '../organizations/organization-store.ts';
import { FieldCipher } from '../crypto/field-cipher.ts';
import { connectRedis } from '../redis/connection.ts';
import { closeOrganization } from './organization-deletion.ts';

const usage = 'usage: npm run org:close -- --org <organization id>';

async function main(): Promise<number> {
  let orgArg: string | undefined;
  try {
    orgArg = parseArgs({ options: { org: { type: 'string' } } }).values.org;
  } catch {
    orgArg = undefined;
  }
  const orgId = id.safeParse(orgArg);
  if (!orgId.success) {
    process.stderr.write(`org:close: ${usage}\n`);
    return 2;
  }
  const dotEnv = new URL('../../../.env', import.meta.url).pathname;
  if (fs.existsSync(dotEnv)) for (const [name, value] of Object.entries(parseEnv(fs.readFileSync(dotEnv, 'utf8')))) process.env[name] ??= value;
  let env;
  try {
    env = resolveSettingFiles(process.env);
  } catch (error) {
    process.stderr.write(`org:close: ${(error as Error).message}\n`);
    return 2;
  }
  const { REDIS_URL, DATA_ENCRYPTION_KEYS, ADDRESS_HASH_KEY } = env;
  if (!REDIS_URL || !DATA_ENCRYPTION_KEYS || !ADDRESS_HASH_KEY) {
    process.stderr.write('org:close: REDIS_URL, DATA_ENCRYPTION_KEYS and ADDRESS_HASH_KEY must be set (as for the server)\n');
    return 2;
  }
  const redis = connectRedis(REDIS_URL);
  try {
    const organizations = new OrganizationStore(redis, FieldCipher.fromSetting(DATA_ENCRYPTION_KEYS), ADDRESS_HASH_KEY);
    // (session lengths do not matter here: sessions are only ended)
    const closed = await closeOrganization({ redis, organizations, sessions: new SessionStore(redis, 1, 1), apiKeys: new ApiKeyStore(redis) }, orgId.data);
    if (!closed) {
      process.stderr.write(`org:close: no organization ${orgId.data}\n`);
      return 2;
    }
    await new AuditLog(redis, createLogger('warn'), undefined).record({ orgId: orgId.data, actor: 'operator', action: 'operator_command', detail: { command: 'org_close' } });
    process.stdout.write(`organization ${orgId.data} closed: links and logins stopped; its data goes when ORGANIZATION_DELETION_DAYS have passed (bookkeeping records stay)\n`);
    return 0;
  } finally {
    await redis.quit();
  }
}

process.exit(await main());
