import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SentSms {
  to: string;
  from?: string;
  messagingServiceSid?: string;
  body: string;
}

/**
 * A local stand-in for Twilio's Messages API at its HTTP boundary, for the real `twilio` SDK (pointed here
 * with TWILIO_API_BASE_URL): checks the account's basic auth, records each message, answers as Twilio does.
 */
export async function startTwilioStandIn(
  accountSid: string,
  authToken: string,
): Promise<{
  url: string;
  sent: SentSms[];
  /** Message sids deleted through the API (Twilio then keeps no record of them). */
  deleted: string[];
  /** While true, every request is answered 503 as by a provider that is down (nothing is recorded). */
  down: boolean;
  close(): Promise<void>;
}> {
  const sent: SentSms[] = [];
  const deleted: string[] = [];
  const sidOf = (n: number) => `SM${String(n).padStart(32, '0')}`;
  const state = { down: false };
  const server = http.createServer((req, res) => {
    if (state.down) return void res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 20500, message: 'Service unavailable' }));
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const expectedAuth = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
      if (req.headers.authorization !== expectedAuth) {
        res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 20003, message: 'Authenticate' }));
        return;
      }
      const deleting = req.method === 'DELETE' ? new RegExp(`^/2010-04-01/Accounts/${accountSid}/Messages/(SM[0-9a-f]{32})\\.json$`).exec(req.url ?? '') : null;
      if (deleting) {
        const sid = deleting[1]!;
        const known = Array.from({ length: sent.length }, (_, i) => sidOf(i + 1)).includes(sid) && !deleted.includes(sid);
        if (!known) return void res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 20404, message: 'Not found' }));
        deleted.push(sid);
        return void res.writeHead(204).end();
      }
      if (req.method !== 'POST' || req.url !== `/2010-04-01/Accounts/${accountSid}/Messages.json`) {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 20404, message: 'Not found' }));
        return;
      }
      const form = new URLSearchParams(raw);
      const message: SentSms = { to: form.get('To')!, body: form.get('Body')!, from: form.get('From') ?? undefined, messagingServiceSid: form.get('MessagingServiceSid') ?? undefined };
      sent.push(message);
      res.writeHead(201, { 'content-type': 'application/json' }).end(
        JSON.stringify({ sid: sidOf(sent.length), status: 'queued', to: message.to, body: message.body, account_sid: accountSid }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    sent,
    deleted,
    get down() {
      return state.down;
    },
    set down(value: boolean) {
      state.down = value;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
