import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { ErasureLedger } from './erasure-ledger.ts';

/**
 * Backups: an encrypted snapshot of Redis, taken through Redis itself (SCAN, then DUMP and PTTL of every
 * key), so it works wherever Redis runs (another host, a container, a managed service) without reading
 * its files, and each key comes back with RESTORE, which checks the payload's own checksum and version.
 *
 * A file is one header line of JSON (format, version, the backup key's id, when it was taken), then the
 * AES-256-GCM ciphertext of the gzipped body: a 12-byte nonce, the ciphertext, the 16-byte tag; the header
 * is the additional data, so neither it nor the body can be altered unnoticed.
 */

const FORMAT = 'consult-backup';
const VERSION = 1;
const NAME = /^consult-backup-(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z)\.cbk$/;
const DAY = 86_400_000;

export interface BackupKey {
  id: string;
  key: Buffer;
}

/** `<keyId>:<base64 of 32 random bytes>` (make one with `openssl rand -base64 32`). */
export function parseBackupKey(setting: string): BackupKey {
  const m = /^([A-Za-z0-9_-]{1,32}):([A-Za-z0-9+/]{43}=)$/.exec(setting.trim());
  if (!m) throw new BackupError('BACKUP_KEY must be <key id>:<base64 of 32 random bytes>, e.g. b1:$(openssl rand -base64 32)');
  return { id: m[1]!, key: Buffer.from(m[2]!, 'base64') };
}

/** A refusal the operator reads: the file, the key or the settings, never data. */
export class BackupError extends Error {}

const header = z.object({ format: z.literal(FORMAT), version: z.literal(VERSION), keyId: z.string(), createdAt: z.number().int() });
const body = z.object({
  createdAt: z.number().int(),
  /** [key, absolute expiry in ms (0: none), DUMP payload in base64] */
  keys: z.array(z.tuple([z.string(), z.number().int(), z.string()])),
  /** The erasure ledger as it was, so a restore of an older snapshot also learns this one's erasures. */
  ledger: z.array(z.tuple([z.string(), z.number()])),
  /** The retention shortenings recorded beside it. */
  shortenings: z.array(z.object({ orgId: z.string(), retention: z.union([z.object({ days: z.number().int() }), z.object({ seconds: z.number().int() })]), at: z.number() })),
});
export type Snapshot = z.infer<typeof body>;

/** Every key with its absolute expiry and DUMP payload, and the erasure ledger. */
export async function takeSnapshot(redis: Redis, now = Date.now()): Promise<Snapshot> {
  const snapshot: Snapshot = { createdAt: now, keys: [], ledger: [...(await ErasureLedger.read(redis))], shortenings: await ErasureLedger.readShortenings(redis) };
  let cursor = '0';
  const seen = new Set<string>();
  do {
    const [next, batch] = await redis.scan(cursor, 'COUNT', 1000);
    cursor = next;
    const fresh = batch.filter((k) => !seen.has(k)); // SCAN may answer a key twice
    if (!fresh.length) continue;
    const reads = redis.pipeline();
    for (const key of fresh) reads.dumpBuffer(key).pttl(key);
    const answers = (await reads.exec()) ?? [];
    const at = Date.now();
    fresh.forEach((key, i) => {
      const [dumpError, dump] = answers[2 * i]!;
      const [, ttl] = answers[2 * i + 1]!;
      if (dumpError) throw dumpError;
      if (!dump) return; // expired meanwhile
      seen.add(key);
      // Absolute expiry, so a restore days later does not give the key those days again.
      snapshot.keys.push([key, (ttl as number) > 0 ? at + (ttl as number) : 0, (dump as Buffer).toString('base64')]);
    });
  } while (cursor !== '0');
  return snapshot;
}

export function sealSnapshot(snapshot: Snapshot, key: BackupKey): Buffer {
  const head = Buffer.from(`${JSON.stringify({ format: FORMAT, version: VERSION, keyId: key.id, createdAt: snapshot.createdAt })}\n`);
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key.key, nonce);
  cipher.setAAD(head);
  const sealed = Buffer.concat([cipher.update(gzipSync(JSON.stringify(snapshot))), cipher.final()]);
  return Buffer.concat([head, nonce, sealed, cipher.getAuthTag()]);
}

/** Opens a backup file; refuses another key's or an altered one with a message saying which. */
export function openSnapshot(file: Buffer, key: BackupKey): Snapshot {
  const newline = file.indexOf(0x0a);
  let parsedHead: z.infer<typeof header>;
  try {
    if (newline < 0 || newline > 512) throw new Error();
    parsedHead = header.parse(JSON.parse(file.subarray(0, newline).toString('utf8')));
  } catch {
    throw new BackupError('not a backup of this service (its header is missing or damaged)');
  }
  if (parsedHead.keyId !== key.id) throw new BackupError(`made with backup key "${parsedHead.keyId}", not with this BACKUP_KEY ("${key.id}")`);
  const rest = file.subarray(newline + 1);
  if (rest.length < 12 + 16) throw new BackupError('damaged: the file is cut short');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.key, rest.subarray(0, 12));
    decipher.setAAD(file.subarray(0, newline + 1));
    decipher.setAuthTag(rest.subarray(rest.length - 16));
    const plain = Buffer.concat([decipher.update(rest.subarray(12, rest.length - 16)), decipher.final()]);
    const snapshot = body.parse(JSON.parse(gunzipSync(plain).toString('utf8')));
    if (snapshot.createdAt !== parsedHead.createdAt) throw new Error();
    return snapshot;
  } catch {
    throw new BackupError('damaged or altered, or made with another key under the same id: it does not decrypt');
  }
}

export function backupFileName(createdAt: number): string {
  return `consult-backup-${new Date(createdAt).toISOString().replace(/[:.]/g, '-')}.cbk`;
}

/** When a file of ours was taken, from its name (null: not one of ours). */
export function backupTimeOf(fileName: string): number | null {
  const m = NAME.exec(fileName);
  if (!m) return null;
  const [date, time] = m[1]!.split('T') as [string, string];
  const [h, min, s, ms] = time.replace('Z', '').split('-');
  return Date.parse(`${date}T${h}:${min}:${s}.${ms}Z`);
}

/**
 * `npm run backup`: a snapshot into `dir` (written aside, then renamed, so a half-written file never has a
 * backup's name), then the backups older than `keepDays` deleted. Answers the new file and those deleted.
 */
export async function writeBackup(redis: Redis, opts: { dir: string; key: BackupKey; keepDays: number; now?: number }): Promise<{ file: string; keys: number; deleted: string[] }> {
  const now = opts.now ?? Date.now();
  fs.mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
  const snapshot = await takeSnapshot(redis, now);
  const file = path.join(opts.dir, backupFileName(now));
  const partial = `${file}.partial`;
  fs.writeFileSync(partial, sealSnapshot(snapshot, opts.key), { mode: 0o600 });
  fs.renameSync(partial, file);
  return { file, keys: snapshot.keys.length, deleted: deleteOldBackups(opts.dir, opts.keepDays, now) };
}

/** Deletes the backups in `dir` taken more than `keepDays` ago (by the time in their names). */
export function deleteOldBackups(dir: string, keepDays: number, now = Date.now()): string[] {
  const deleted: string[] = [];
  for (const name of fs.readdirSync(dir)) {
    const at = backupTimeOf(name);
    if (at !== null && at < now - keepDays * DAY) {
      fs.rmSync(path.join(dir, name));
      deleted.push(name);
    }
  }
  return deleted;
}

/** The backups in `dir` taken after `after`, oldest first (a restore learns their erasure ledgers). */
export function backupsAfter(dir: string, after: number): string[] {
  return fs
    .readdirSync(dir)
    .map((name) => ({ name, at: backupTimeOf(name) }))
    .filter((f): f is { name: string; at: number } => f.at !== null && f.at > after)
    .sort((a, b) => a.at - b.at)
    .map((f) => path.join(dir, f.name));
}
