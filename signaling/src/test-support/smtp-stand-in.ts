import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { freePort } from './free-port.ts';
import { expect } from 'chai';
import { eventually } from './eventually.ts';

/**
 * A real SMTP server for tests (the `smtp-server` package) on a local port: what it accepts is parsed with
 * `mailparser` and kept in `received`. `refuseWith(550)` makes it answer every message with that code;
 * `stop()` and `start()` take it down and bring it back on the same port (a mail server that is down).
 */
export class SmtpStandIn {
  readonly received: ParsedMail[] = [];
  /** Every message it was offered, accepted or not (the SMTP conversation reached DATA). */
  offered = 0;
  private refusal: number | null = null;
  private server: SMTPServer | null = null;

  private constructor(readonly port: number) {}

  /** Started at once unless `down` (then nothing listens on its port until start()). */
  static async create(opts: { down?: boolean } = {}): Promise<SmtpStandIn> {
    const stand = new SmtpStandIn(await freePort());
    if (!opts.down) await stand.start();
    return stand;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  refuseWith(code: number | null): void {
    this.refusal = code;
  }

  async start(): Promise<void> {
    const server = new SMTPServer({
      authOptional: true,
      // Plain SMTP on loopback: nodemailer does not try STARTTLS when it is not offered.
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData: (stream, _session, callback) => {
        this.offered++;
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          if (this.refusal !== null) return callback(Object.assign(new Error('Mailbox unavailable'), { responseCode: this.refusal }));
          simpleParser(Buffer.concat(chunks)).then(
            (mail) => {
              this.received.push(mail);
              callback();
            },
            (err: Error) => callback(err),
          );
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    server.on('error', () => {});
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Waits until `count` messages were received (or fails after `ms`). */
  async waitFor(count: number, ms = 10_000): Promise<ParsedMail[]> {
    await eventually(() => expect(this.received.length, 'e-mails received').to.be.at.least(count), { what: `${count} e-mails`, timeoutMs: ms });
    return this.received;
  }
}
