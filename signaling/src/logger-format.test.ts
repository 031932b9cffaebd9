import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { logFormatFor, stdoutLogger } from './logger.ts';
import { eventually } from './test-support/eventually.ts';

/*
 * Issue 18, item 8: a person at a terminal reads lines, a pipe gets JSON; redaction holds in both.
 */
describe('log format: readable at a terminal, JSON when piped', function () {
  this.timeout(30_000);

  it('a terminal gets the readable format, anything else JSON', () => {
    expect(logFormatFor({ isTTY: true })).to.equal('pretty');
    expect(logFormatFor({ isTTY: false })).to.equal('json');
    expect(logFormatFor({})).to.equal('json');
  });

  it('at a terminal: one readable line per entry with level and message, personal fields still redacted', async () => {
    const terminal = Object.assign(new PassThrough(), { isTTY: true });
    let text = '';
    terminal.on('data', (d: Buffer) => (text += d.toString()));
    const log = stdoutLogger('info', terminal);
    log.info({ orgId: 'a1b2', visitor: { name: 'Kari Nordmann', phone: '+4791234567' } }, 'visitor checking in');
    await eventually(() => text.includes('\n'), { what: 'the line written to the terminal' });
    const plain = text.replace(/\x1b\[[0-9;]*m/g, '');
    expect(plain).to.match(/INFO.*visitor checking in/);
    expect(plain).to.include('a1b2');
    expect(() => JSON.parse(plain.split('\n')[0]!)).to.throw();
    expect(plain).not.to.include('Kari').and.not.to.include('91234567');
    expect(plain).to.include('[redacted]');
  });

  it('piped (a real child process with stdout to a pipe): every line is JSON, personal fields redacted', async () => {
    const script = `import { stdoutLogger } from ${JSON.stringify(new URL('./logger.ts', import.meta.url).pathname)};
      const log = stdoutLogger('info');
      log.info({ orgId: 'a1b2', name: 'Kari Nordmann' }, 'visitor checking in');
      log.warn({ err: new Error('refused kari@example.no') }, 'sms failed');`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise((r) => child.once('exit', r));
    expect(code, err).to.equal(0);
    const lines = out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.msg)).to.deep.equal(['visitor checking in', 'sms failed']);
    expect(lines[0]).to.include({ orgId: 'a1b2', name: '[redacted]', level: 30 });
    expect(out).not.to.include('Kari').and.not.to.include('kari@example.no');
  });
});
