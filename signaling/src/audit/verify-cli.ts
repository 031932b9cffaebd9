/**
 * `npm run audit:verify -- --org <id> [--anchors <file>]`: checks an organization's audit chain from its
 * checkpoint to its head, and against the anchors written outside Redis. Prints what is wrong, if anything;
 * exits 0 when the chain holds, 1 when it does not, 2 when it cannot check (usage, no such organization).
 *
 * Reads REDIS_URL and AUDIT_ANCHOR_FILE from the environment (or a `.env` file at the root, as `npm start`
 * does), and DATA_ENCRYPTION_KEYS when it is set: then every entry's client address is checked against the
 * entry too. Reading an organization's audit log is itself an operator command: it is recorded in that log.
 */
import { readRootDotEnv, resolveSettingFiles } from '../config.ts';
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { id } from '../../protocol/index.ts';
import { FieldCipher } from '../crypto/field-cipher.ts';
import { connectRedis } from '../redis/connection.ts';
import { keys } from '../redis/keys.ts';
import { createLogger } from '../logger.ts';
import { AuditLog } from './audit-log.ts';
import { readAnchorFile, type AuditAnchor } from './audit-anchors.ts';
import { verifyAuditChain } from './audit-verify.ts';

const out = (line: string) => process.stdout.write(`${line}\n`);
const fail = (line: string, code: number): never => {
  process.stderr.write(`audit:verify: ${line}\n`);
  process.exit(code);
};

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({ options: { org: { type: 'string' }, anchors: { type: 'string' } } }).values;
  } catch (error) {
    return fail(`${(error as Error).message}\nusage: npm run audit:verify -- --org <organization id> [--anchors <file>]`, 2);
  }
  const orgId = id.safeParse(args.org);
  if (!orgId.success) return fail('usage: npm run audit:verify -- --org <organization id> [--anchors <file>]', 2);
  readRootDotEnv();
  let env;
  try {
    env = resolveSettingFiles(process.env);
  } catch (error) {
    return fail((error as Error).message, 2);
  }
  const redisUrl = env.REDIS_URL;
  if (!redisUrl) return fail('REDIS_URL is not set', 2);
  const anchorFile = args.anchors ?? env.AUDIT_ANCHOR_FILE;
  let cipher: FieldCipher | undefined;
  try {
    cipher = env.DATA_ENCRYPTION_KEYS ? FieldCipher.fromSetting(env.DATA_ENCRYPTION_KEYS) : undefined;
  } catch (error) {
    return fail(`DATA_ENCRYPTION_KEYS: ${(error as Error).message}`, 2);
  }

  const redis = connectRedis(redisUrl);
  try {
    if (!(await redis.exists(keys.organization(orgId.data)))) return fail(`no organization ${orgId.data}`, 2);
    let anchors: AuditAnchor[] = [];
    if (!anchorFile) {
      out('warning: no anchor file (AUDIT_ANCHOR_FILE or --anchors): a consistent rewrite of the whole stream cannot be detected');
    } else if (!fs.existsSync(anchorFile)) {
      out(`warning: the anchor file ${anchorFile} does not exist: a consistent rewrite of the whole stream cannot be detected`);
    } else {
      const read = readAnchorFile(anchorFile, orgId.data);
      anchors = read.anchors;
      if (read.unreadableLines) out(`warning: ${read.unreadableLines} line(s) of ${anchorFile} could not be read`);
    }

    if (!cipher) out('warning: no DATA_ENCRYPTION_KEYS: the client addresses kept with the entries are not checked');
    const result = await verifyAuditChain(redis, orgId.data, anchors, Date.now(), cipher);
    out(
      `organization ${orgId.data}: ${result.checked} entries checked, from ${result.checkpointId ? `checkpoint ${result.checkpointId}` : 'the first entry'} ` +
        `to ${result.headId ?? '(empty log)'}; ${result.anchorsChecked} anchor(s) compared` +
        (cipher ? `; ${result.addressesChecked} client address(es) checked` : ''),
    );
    for (const p of result.problems) out(`PROBLEM ${p.kind}: ${p.message}`);
    out(result.problems.length ? `the audit chain does NOT hold (${result.problems.length} problem(s))` : 'the audit chain holds');

    const audit = new AuditLog(redis, createLogger('warn'), undefined);
    await audit.record({
      orgId: orgId.data,
      actor: 'operator',
      action: 'operator_command',
      detail: { command: 'audit_verify', result: result.problems.length ? 'broken' : 'ok' },
    });
    return result.problems.length ? 1 : 0;
  } finally {
    await redis.quit();
  }
}

main().then(
  (code) => process.exit(code),
  (error: Error) => fail(error.message, 2),
);
