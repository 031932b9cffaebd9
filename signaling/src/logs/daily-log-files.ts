import fs from 'node:fs';
import path from 'node:path';
import type { DestinationStream } from 'pino';
import { utcDayOf } from '../http/address-hash.ts';

const DAY_MS = 86_400_000;
const FILE = /^consult-(\d{4}-\d{2}-\d{2})\.log$/;

export const logFileName = (day: string): string => `consult-${day}.log`;

export interface LogFilesOptions {
  dir: string;
  /** Files whose last possible line is older than this many days are deleted. */
  retentionDays: number;
  /** Injectable for tests. */
  now?: () => number;
  /** How often old files are looked for, besides at start (once a day; shorter in tests). */
  sweepEveryMs?: number;
}

/**
 * A pino destination that writes each line to the file of the current UTC day (consult-YYYY-MM-DD.log) in
 * LOG_DIR, and deletes files past LOG_RETENTION_DAYS itself: at start and once a day, so logs stay temporary
 * without a cron job. Writes are synchronous appends: at the day change the next line simply goes to the
 * next file, and nothing sits in a buffer to be lost at rotation or at a crash. Several processes may share
 * the directory (each line is one append to a file opened with O_APPEND).
 */
export class DailyLogFiles implements DestinationStream {
  private fd: number | null = null;
  private day = '';
  private readonly now: () => number;
  private readonly timer: NodeJS.Timeout;
  private failed = false;

  constructor(private readonly opts: LogFilesOptions) {
    this.now = opts.now ?? Date.now;
    fs.mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
    this.deleteOld();
    this.timer = setInterval(() => this.deleteOld(), opts.sweepEveryMs ?? DAY_MS);
    this.timer.unref();
  }

  write(line: string): void {
    try {
      const day = utcDayOf(this.now());
      if (day !== this.day || this.fd === null) this.open(day);
      fs.writeSync(this.fd!, line);
      this.failed = false;
    } catch (error) {
      // A full disk must not take requests down with it: say so once on stderr, and keep trying.
      if (!this.failed) process.stderr.write(`log files: cannot write to ${this.opts.dir}: ${(error as Error).message}\n`);
      this.failed = true;
      this.closeFile();
    }
  }

  /** The file lines go to now (for operators and tests). */
  currentFile(): string {
    return path.join(this.opts.dir, logFileName(utcDayOf(this.now())));
  }

  /**
   * Deletes the log files whose every line is older than the retention period: the file of day D holds
   * lines up to the end of D, so it goes once the end of D is retentionDays behind. Returns the names deleted.
   */
  deleteOld(): string[] {
    const oldestKept = utcDayOf(this.now() - this.opts.retentionDays * DAY_MS);
    const deleted: string[] = [];
    let names: string[];
    try {
      names = fs.readdirSync(this.opts.dir);
    } catch {
      return deleted;
    }
    for (const name of names) {
      const day = FILE.exec(name)?.[1];
      if (!day || day >= oldestKept) continue;
      try {
        fs.rmSync(path.join(this.opts.dir, name), { force: true });
        deleted.push(name);
      } catch (error) {
        process.stderr.write(`log files: cannot delete ${name}: ${(error as Error).message}\n`);
      }
    }
    return deleted.sort();
  }

  close(): void {
    clearInterval(this.timer);
    this.closeFile();
  }

  private open(day: string): void {
    this.closeFile();
    this.fd = fs.openSync(path.join(this.opts.dir, logFileName(day)), 'a', 0o600);
    this.day = day;
  }

  private closeFile(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
    this.day = '';
  }
}
