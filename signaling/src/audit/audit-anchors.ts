import fs from 'node:fs';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { auditEntryId, id, type AuditAnchorView } from '../../protocol/index.ts';
import type { Logger } from '../logger.ts';
import { keys } from '../redis/keys.ts';

/** One line of the anchor file. */
export interface AuditAnchor {
  orgId: string;
  entryId: string;
  hash: string;
  at: number;
}

const anchorLine = z.object({ orgId: id, entryId: auditEntryId, hash: z.string().regex(/^[0-9a-f]{64}$/), at: z.number() });

/** How many recent anchors an organization's admins see. */
const SHOWN = 30;
const HOUR_MS = 3_600_000;

/**
 * Once a day, every organization's chain head is appended to a file outside Redis. Whoever can rewrite a
 * whole stream consistently (hashes and all) cannot also rewrite what was written there, nor the copies
 * admins keep; `audit:verify` checks the chain against it. One process writes a day's anchors (a Redis
 * key taken with NX), so several signaling processes sharing a file do not repeat them.
 */
export class AuditAnchors {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly log: Logger,
    readonly file: string | undefined,
  ) {}

  /** Appends the organization's head to the file (unless it is anchored already); null if nothing to anchor. */
  async anchor(orgId: string, now = Date.now()): Promise<AuditAnchor | null> {
    if (!this.file) return null;
    const [head, last] = await Promise.all([this.redis.hgetall(keys.auditHead(orgId)), this.redis.lindex(keys.auditAnchors(orgId), 0)]);
    if (!head.id || !head.hash) return null;
    const anchor: AuditAnchor = { orgId, entryId: head.id, hash: head.hash, at: now };
    if (last && (JSON.parse(last) as AuditAnchor).entryId === head.id) return null;
    // The file first: an anchor admins are shown has been written outside Redis.
    await fs.promises.appendFile(this.file, `${JSON.stringify(anchor)}\n`, { mode: 0o600 });
    await this.redis.multi().lpush(keys.auditAnchors(orgId), JSON.stringify(anchor)).ltrim(keys.auditAnchors(orgId), 0, SHOWN - 1).exec();
    return anchor;
  }

  /** Every organization's head; answers how many were written. */
  async anchorAll(now = Date.now()): Promise<number> {
    let written = 0;
    for (const orgId of await this.redis.smembers(keys.organizations())) if (await this.anchor(orgId, now)) written++;
    return written;
  }

  /** The day's anchoring, if no process has done it yet. */
  async anchorIfDue(now = Date.now()): Promise<void> {
    const day = new Date(now).toISOString().slice(0, 10);
    if ((await this.redis.set(keys.auditAnchorDay(day), '1', 'EX', 2 * 86_400, 'NX')) !== 'OK') return;
    const written = await this.anchorAll(now);
    this.log.info({ day, organizations: written }, 'audit chains anchored');
  }

  /** Checks every hour whether today's anchors are written (a restart does not skip a day). */
  start(): void {
    if (!this.file || this.timer) return;
    const tick = () => void this.anchorIfDue().catch((err: Error) => this.log.warn({ err: err.message }, 'could not anchor the audit chains'));
    this.timer = setInterval(tick, HOUR_MS);
    this.timer.unref();
    tick();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The organization's recent anchors, newest first, as its admins see them. */
  async recent(orgId: string): Promise<AuditAnchorView[]> {
    const lines = await this.redis.lrange(keys.auditAnchors(orgId), 0, SHOWN - 1);
    return lines.map((l) => JSON.parse(l) as AuditAnchor).map(({ entryId, hash, at }) => ({ entryId, hash, at }));
  }
}

/** The anchors of one organization in an anchor file, in the order written; lines that do not parse are reported. */
export function readAnchorFile(file: string, orgId: string): { anchors: AuditAnchor[]; unreadableLines: number } {
  const anchors: AuditAnchor[] = [];
  let unreadableLines = 0;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let parsed;
    try {
      parsed = anchorLine.safeParse(JSON.parse(line));
    } catch {
      parsed = null;
    }
    if (!parsed?.success) unreadableLines++;
    else if (parsed.data.orgId === orgId) anchors.push(parsed.data);
  }
  return { anchors, unreadableLines };
}
