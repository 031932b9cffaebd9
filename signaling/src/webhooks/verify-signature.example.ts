/*
 * How an EHR checks a webhook from us (the README's "EHR integration" section shows this same code).
 * Node.js, no dependencies. Give it the raw request body as received (the exact bytes, before any JSON
 * parsing), the Consult-Signature header and the endpoint's secret.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export function verifyConsultSignature(rawBody: string, header: string, secret: string, toleranceSeconds = 300): boolean {
  const parts = header.split(',').map((p) => p.trim().split('='));
  const t = Number(parts.find(([k]) => k === 't')?.[1]);
  const signatures = parts.filter(([k]) => k === 'v1').map(([, v]) => v ?? '');
  // A delivery older (or newer) than five minutes is refused: a replay of a recorded request.
  if (!Number.isInteger(t) || Math.abs(Date.now() / 1000 - t) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${rawBody}`, 'utf8').digest();
  // Any one v1 may match (two are sent while a new secret is being rolled out).
  return signatures.some((hex) => {
    const given = Buffer.from(hex, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

// In an Express app:
//   app.post('/consult-webhooks', express.raw({ type: 'application/json' }), (req, res) => {
//     if (!verifyConsultSignature(req.body.toString('utf8'), req.get('Consult-Signature') ?? '', SECRET)) return res.sendStatus(400);
//     const event = JSON.parse(req.body.toString('utf8'));
//     // event.id is the same on every retry of one event: skip ids already handled.
//     res.sendStatus(200);
//   });
