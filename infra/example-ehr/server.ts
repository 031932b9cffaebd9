/*
 * A tiny example of a records system (EHR) integrating the video consultation service: one page that
 * creates a consultation through the API, asks for a single-use professional link, and embeds both the
 * professional's view and (for the demo, side by side) the patient's view in iframes. It listens to the
 * consultation's progress by postMessage and can hang up the call.
 *
 *   CONSULT_URL=http://127.0.0.1:3000 CONSULT_API_KEY=... ROOM_ID=... PROFESSIONAL_ID=... \
 *     npx tsx infra/example-ehr/server.ts            # then open http://localhost:8080/
 *
 * The organization must list this page's origin (http://localhost:8080) under Organization -> Embedding.
 * No dependencies: Node's http and fetch.
 */
import http from 'node:http';

const CONSULT_URL = (process.env.CONSULT_URL ?? 'http://127.0.0.1:3000').replace(/\/$/, '');
const API_KEY = process.env.CONSULT_API_KEY ?? '';
const ROOM_ID = process.env.ROOM_ID ?? '';
const PROFESSIONAL_ID = process.env.PROFESSIONAL_ID ?? '';
const PORT = Number(process.env.PORT ?? 8080);
/** This page's own origin, exactly as browsers send it: the service posts its events only to it. */
const ORIGIN = process.env.EHR_ORIGIN ?? `http://localhost:${PORT}`;

/** Calls the service's API with the organization's key (kept on the EHR's server, never in a browser). */
async function api<T>(path: string, body: unknown): Promise<T> {
  const res = await fetch(`${CONSULT_URL}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Adds the EHR's origin to a link of the service, keeping its fragment (where a professional link's token is). */
function embedded(url: string): string {
  const u = new URL(url);
  u.searchParams.set('embedOrigin', ORIGIN);
  return u.toString();
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const page = (body: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Example EHR</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 1rem; }
  .views { display: flex; gap: 1rem; flex-wrap: wrap; }
  iframe { width: 620px; height: 560px; border: 1px solid #999; }
  #log { font-family: monospace; white-space: pre; background: #f4f4f4; padding: .5rem; min-height: 4rem; }
</style></head><body>
<h1>Example EHR</h1>
${body}
</body></html>`;

const startPage = page(`
<p>Patient: Kari Nordmann (record 12345)</p>
<form method="post" action="/start"><button type="submit">Start video consultation</button></form>`);

function consultationPage(c: { id: string; visitorLink: string }, professionalUrl: string): string {
  return page(`
<p>Consultation <code>${escape(c.id)}</code>. Send the patient this link: <a href="${escape(c.visitorLink)}">${escape(c.visitorLink)}</a></p>
<p><button type="button" id="hang-up">Hang up from the EHR</button></p>
<div class="views">
  <section><h2>Professional</h2>
    <iframe id="professional" src="${escape(embedded(professionalUrl))}" allow="camera; microphone; display-capture; autoplay"></iframe></section>
  <section><h2>Patient (demo)</h2>
    <iframe id="patient" src="${escape(embedded(c.visitorLink))}" allow="camera; microphone; display-capture; autoplay"></iframe></section>
</div>
<h2>Events from the service</h2>
<div id="log"></div>
<script>
  const service = ${JSON.stringify(new URL(CONSULT_URL).origin)};
  // Only the service's own messages: check the sender's origin and the message's source.
  window.addEventListener('message', (e) => {
    if (e.origin !== service || !e.data || e.data.source !== 'consult') return;
    document.getElementById('log').textContent += e.data.view + ': ' + e.data.type + (e.data.code ? ' (' + e.data.code + ')' : '') + '\\n';
  });
  // Commands go to the service's exact origin.
  document.getElementById('hang-up').addEventListener('click', () => {
    document.getElementById('professional').contentWindow.postMessage({ source: 'consult', command: 'hang-up' }, service);
  });
</script>`);
}

const server = http.createServer(async (req, res) => {
  try {
    if (req.method === 'GET' && req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(startPage);
      return;
    }
    if (req.method === 'POST' && req.url === '/start') {
      // 1. The consultation, with the EHR's own reference (sealed at rest by the service, echoed in webhooks).
      const consultation = await api<{ id: string; visitorLink: string; visitorLinkExpiresAt: string }>('/api/v1/consultations', { roomId: ROOM_ID, externalReference: 'record-12345' });
      // 2. A single-use link for the professional the EHR has authenticated (valid 60 s: ask just before showing it).
      const link = await api<{ url: string; expiresAt: string }>(`/api/v1/consultations/${consultation.id}/professional-link`, { professionalId: PROFESSIONAL_ID });
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(consultationPage(consultation, link.url));
      return;
    }
    res.writeHead(404).end();
  } catch (err) {
    console.error((err as Error).message);
    res.writeHead(502, { 'content-type': 'text/plain' }).end('The video service did not answer as expected; see the EHR server log.');
  }
});

server.listen(PORT, '127.0.0.1', () => console.log(`Example EHR on ${ORIGIN}/ (service: ${CONSULT_URL})`));
