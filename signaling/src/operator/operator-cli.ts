/**
 * What the operator commands (`npm run org:create`, `org:list`, `member:reset-second-factor`) share: their
 * settings, their argument parsing, and how they fail. A command refuses bad input before it writes
 * anything, with a line naming the problem and exit code 1.
 *
 * Settings: REDIS_URL, DATA_ENCRYPTION_KEYS and ADDRESS_HASH_KEY (and PUBLIC_ORIGIN for links) from the
 * environment, else a `.env` file at the root, else what `npm start` generated for its own Redis in
 * CONSULT_DATA_DIR: so on the machine where `npm start` runs, the commands work with no set-up at all.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { readRootDotEnv, resolveSettingFiles } from '../config.ts';
import type { Redis } from 'ioredis';
import { AuditLog } from '../audit/audit-log.ts';
import { FieldCipher } from '../crypto/field-cipher.ts';
import { createLogger } from '../logger.ts';
import { OrganizationStore } from '../organizations/organization-store.ts';
import { connectRedis } from '../redis/connection.ts';

/** Bad input or a setting missing: the command says so and writes nothing. */
export class OperatorInputError extends Error {}

export interface OperatorEnv {
  redisUrl: string;
  dataEncryptionKeys: string;
  addressHashKey: string;
  /** Where people reach the service, for the links a command prints. */
  publicOrigin: string;
}

function settings(): OperatorEnv {
  readRootDotEnv();
  // Secrets may come from files (`<NAME>_FILE`), as for the server.
  let env: NodeJS.ProcessEnv;
  try {
    env = resolveSettingFiles(process.env);
  } catch (error) {
    throw new OperatorInputError((error as Error).message);
  }
  if (!env.REDIS_URL || !env.DATA_ENCRYPTION_KEYS || !env.ADDRESS_HASH_KEY) {
    // What infra/start.ts keeps for the redis-server it starts itself (only when REDIS_URL was not given).
    const dataDir = path.resolve(env.CONSULT_DATA_DIR || path.join(os.homedir(), '.local/share/consult'));
    let local: { redisPassword?: string; addressHashKey?: string; dataEncryptionKeys?: string } = {};
    try {
      local = JSON.parse(fs.readFileSync(path.join(dataDir, 'secrets.json'), 'utf8')) as typeof local;
    } catch {
      // no local `npm start` here: the settings must come from the environment
    }
    if (!env.REDIS_URL && local.redisPassword) env.REDIS_URL = `redis://:${local.redisPassword}@127.0.0.1:${env.REDIS_PORT || 6390}`;
    // (process.env turns undefined into the string "undefined": assign only what is there)
    if (!env.ADDRESS_HASH_KEY && local.addressHashKey) env.ADDRESS_HASH_KEY = local.addressHashKey;
    if (!env.DATA_ENCRYPTION_KEYS && local.dataEncryptionKeys) env.DATA_ENCRYPTION_KEYS = local.dataEncryptionKeys;
  }
  const missing = ['REDIS_URL', 'DATA_ENCRYPTION_KEYS', 'ADDRESS_HASH_KEY'].filter((name) => !env[name]);
  if (missing.length) throw new OperatorInputError(`${missing.join(', ')} must be set, as for the server (environment or .env)`);
  let publicOrigin: string;
  try {
    publicOrigin = new URL(env.PUBLIC_ORIGIN || `http://localhost:${env.PORT || 3000}`).origin;
  } catch {
    throw new OperatorInputError(`PUBLIC_ORIGIN is not an address: ${env.PUBLIC_ORIGIN}`);
  }
  return { redisUrl: env.REDIS_URL!, dataEncryptionKeys: env.DATA_ENCRYPTION_KEYS!, addressHashKey: env.ADDRESS_HASH_KEY!, publicOrigin };
}

/**
 * The command's flags, all strings; `required` ones must be there. An unknown flag, a flag without its
 * value or a stray argument is refused (a typo must not run a command with a default).
 */
export function operatorArgs<const R extends string, const O extends string = never>(
  flags: { required: readonly R[]; optional?: readonly O[] },
): Record<R, string> & Partial<Record<O, string>> {
  const names = [...flags.required, ...(flags.optional ?? [])];
  let values: Record<string, string | undefined>;
  try {
    values = parseArgs({ options: Object.fromEntries(names.map((n) => [n, { type: 'string' as const }])), strict: true, allowPositionals: false }).values as Record<string, string | undefined>;
  } catch (error) {
    throw new OperatorInputError((error as Error).message);
  }
  const missing = flags.required.filter((n) => values[n] === undefined);
  if (missing.length) throw new OperatorInputError(`missing ${missing.map((n) => `--${n}`).join(' and ')}`);
  return values as Record<R, string> & Partial<Record<O, string>>;
}

export interface OperatorContext {
  env: OperatorEnv;
  redis: Redis;
  organizations: OrganizationStore;
  cipher: FieldCipher;
  /** Every operator command is in the audit log of each organization it touched or read. */
  audit: AuditLog;
}

/**
 * Runs a command: `parse` reads and checks the arguments before anything connects, `run` does the work
 * (and throws OperatorInputError for input it finds bad in the data, before writing). Exit codes: 0 done,
 * 1 refused or failed, with the reason on stderr.
 */
export async function runOperatorCommand<A>(name: string, usage: string, parse: () => A, run: (args: A, c: OperatorContext) => Promise<void>): Promise<never> {
  let code = 0;
  try {
    const args = parse();
    const env = settings();
    const redis = connectRedis(env.redisUrl);
    try {
      const cipher = FieldCipher.fromSetting(env.dataEncryptionKeys);
      await run(args, { env, redis, cipher, organizations: new OrganizationStore(redis, cipher, env.addressHashKey), audit: new AuditLog(redis, createLogger('warn'), undefined) });
    } finally {
      await redis.quit().catch(() => undefined);
    }
  } catch (error) {
    code = 1;
    if (error instanceof OperatorInputError) process.stderr.write(`${name}: ${error.message}\n${usage}\n`);
    else process.stderr.write(`${name}: failed: ${(error as Error).message}\n`);
  }
  process.exit(code);
}
