import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { createLogger } from '../logger.ts';
import { loadConfig } from '../config.ts';
import { DailyLogFiles, logFileName } from './daily-log-files.ts';
import { eventually } from '../test-support/eventually.ts';

const DAY = 86_400_000;
const MIDNIGHT = Date.parse('2026-05-17T00:00:00.000Z');

const files = (dir: string) => fs.readdirSync(dir).sort();
const linesOf = (dir: string, name: string) => fs.readFileSync(path.join(dir, name), 'utf8').split('\n').filter(Boolean);

/*
 * LOG_DIR: the server's JSON logs in one file per UTC day, written by the real pino logger, and files past
 * LOG_RETENTION_DAYS deleted by the server itself at start and once a day.
 */
describe('log files: daily rotation and deletion (real pino, real files)', function () {
  let dir: string;
  const open: DailyLogFiles[] = [];
  const logFiles = (opts: Omit<ConstructorParameters<typeof DailyLogFiles>[0], 'dir'>) => {
    const f = new DailyLogFiles({ dir, ...opts });
    open.push(f);
    return f;
  };

  beforeEach(() => {
    dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'consult-logs-')), 'logs');
  });
  afterEach(() => {
    for (const f of open.splice(0)) f.close();
    fs.rmSync(path.dirname(dir), { recursive: true, force: true });
  });

  it('lines go to the file of their UTC day; at midnight the next line starts the next file', () => {
    let now = MIDNIGHT - 1;
    const destination = logFiles({ retentionDays: 14, now: () => now });
    const log = createLogger('info', destination);
    log.info({ seq: 1 }, 'late evening');
    now = MIDNIGHT;
    log.info({ seq: 2 }, 'just after midnight');
    now = MIDNIGHT + DAY - 1;
    log.info({ seq: 3 }, 'late the next day');

    expect(fs.statSync(dir).mode & 0o777, 'only the server’s user reads its logs').to.equal(0o700);
    expect(files(dir)).to.deep.equal([logFileName('2026-05-16'), logFileName('2026-05-17')]);
    expect(fs.statSync(path.join(dir, logFileName('2026-05-17'))).mode & 0o777).to.equal(0o600);
    const seqs = (name: string) => linesOf(dir, name).map((l) => (JSON.parse(l) as { seq: number }).seq);
    expect(seqs(logFileName('2026-05-16'))).to.deep.equal([1]);
    expect(seqs(logFileName('2026-05-17'))).to.deep.equal([2, 3]);
    expect(destination.currentFile()).to.equal(path.join(dir, logFileName('2026-05-17')));
  });

  it('loses nothing across rotations: every line of a burst spanning three midnights is whole, once, in order', () => {
    let now = MIDNIGHT - 1000;
    const log = createLogger('info', logFiles({ retentionDays: 14, now: () => now }));
    const total = 6000;
    for (let seq = 0; seq < total; seq++) {
      log.info({ seq, padding: 'x'.repeat(seq % 300) }, 'burst');
      now += 1; // crossing one midnight a second into the burst, then a day's jump at three points
      if (seq === 1500 || seq === 3000 || seq === 4500) now += DAY;
    }
    expect(files(dir)).to.deep.equal(['2026-05-16', '2026-05-17', '2026-05-18', '2026-05-19', '2026-05-20'].map(logFileName));
    const all = files(dir).flatMap((name) => linesOf(dir, name).map((l) => (JSON.parse(l) as { seq: number }).seq));
    expect(all).to.deep.equal(Array.from({ length: total }, (_, i) => i));
  });

  it('deletes files past the retention period at start and on its daily sweep, and nothing else in the directory', async () => {
    fs.mkdirSync(dir, { recursive: true });
    const today = MIDNIGHT + 10 * 3600_000; // 2026-05-17 10:00 UTC
    // With 14 days, the file of 2026-05-03 (its last line at 05-04 00:00, 13 days 10 h ago) stays; 05-02 goes.
    for (const day of ['2026-04-01', '2026-05-01', '2026-05-02', '2026-05-03', '2026-05-16']) fs.writeFileSync(path.join(dir, logFileName(day)), '{}\n');
    for (const other of ['notes.txt', 'consult-latest.log', 'consult-2026-04-01.log.gz']) fs.writeFileSync(path.join(dir, other), 'keep');

    let now = today;
    const destination = logFiles({ retentionDays: 14, now: () => now, sweepEveryMs: 30 });
    expect(files(dir), 'at start').to.deep.equal(
      ['consult-2026-04-01.log.gz', logFileName('2026-05-03'), logFileName('2026-05-16'), 'consult-latest.log', 'notes.txt'].sort(),
    );

    // A day later the sweep (every 30 ms here, once a day in production) takes the 05-03 file too.
    now = today + DAY;
    createLogger('info', destination).info('still writing');
    await eventually(() => !files(dir).includes(logFileName('2026-05-03')), { what: 'the sweep took the 05-03 file' });
    expect(files(dir)).to.deep.equal(['consult-2026-04-01.log.gz', logFileName('2026-05-16'), logFileName('2026-05-18'), 'consult-latest.log', 'notes.txt'].sort());
    expect(destination.deleteOld(), 'nothing left to delete').to.deep.equal([]);
  });

  it('a retention of one day keeps yesterday’s file until the end of today', () => {
    fs.mkdirSync(dir, { recursive: true });
    for (const day of ['2026-05-15', '2026-05-16']) fs.writeFileSync(path.join(dir, logFileName(day)), '{}\n');
    logFiles({ retentionDays: 1, now: () => MIDNIGHT + 23 * 3600_000 });
    expect(files(dir)).to.deep.equal([logFileName('2026-05-16')]);
  });

  it('LOG_RETENTION_DAYS: 14 by default, 1 to 365, a whole number', () => {
    const base = { PUBLIC_ORIGIN: 'http://127.0.0.1:3000', REDIS_URL: 'redis://127.0.0.1:1', ADDRESS_HASH_KEY: 'x'.repeat(32), DATA_ENCRYPTION_KEYS: `k:${'A'.repeat(43)}=` };
    const defaults = loadConfig(base);
    expect([defaults.LOG_RETENTION_DAYS, defaults.LOG_DIR]).to.deep.equal([14, undefined]);
    expect(loadConfig({ ...base, LOG_DIR: '/var/log/consult', LOG_RETENTION_DAYS: '365' })).to.include({ LOG_RETENTION_DAYS: 365, LOG_DIR: '/var/log/consult' });
    for (const bad of ['0', '366', '7.5', 'fourteen', '-1']) {
      expect(() => loadConfig({ ...base, LOG_RETENTION_DAYS: bad }), bad).to.throw(/LOG_RETENTION_DAYS/);
    }
  });
});
