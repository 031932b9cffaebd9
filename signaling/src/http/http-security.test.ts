import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { createOrganization, postJson, startTestServer, stubAppDist, type TestServer } from '../test-support/test-server.ts';

/*
 * What every response carries (CSP, no referrer), links that stop working, TLS terminated by the server,
 * and the real client address behind a trusted reverse proxy, against a real server.
 */

describe('HTTP security headers and dead links (real server)', function () {
  let server: TestServer;
  let dist: string;

  before(async () => {
    dist = stubAppDist();
    server = await startTestServer({ env: { CLIENT_DIST: dist, DASHBOARD_DIST: dist } });
  });
  after(async () => {
    await server?.close();
    fs.rmSync(dist, { recursive: true, force: true });
  });

  it('pages and API answers carry a strict CSP, no referrer, nosniff, and do not name the framework', async () => {
    const org = await createOrganization(server.services);
    for (const p of [`/r/${org.room.slug}`, '/dashboard/', `/api/rooms/${org.room.slug}`, '/api/rooms/no-such-room']) {
      const res = await fetch(`${server.url}${p}`);
      await res.body?.cancel();
      const csp = res.headers.get('content-security-policy') ?? '';
      const directives = new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name!, values.join(' ')]));
      expect(directives.get('default-src'), p).to.equal("'self'");
      expect(directives.get('script-src'), p).to.equal("'self'");
      expect(directives.get('object-src'), p).to.equal("'none'");
      expect(directives.get('frame-ancestors'), p).to.equal("'none'");
      expect(directives.get('base-uri'), p).to.equal("'none'");
      expect(csp, p).not.to.contain('unsafe-inline');
      expect(csp, p).not.to.contain('unsafe-eval');
      expect(res.headers.get('referrer-policy'), p).to.equal('no-referrer');
      expect(res.headers.get('x-content-type-options'), p).to.equal('nosniff');
      expect(res.headers.get('x-powered-by'), p).to.equal(null);
      // Plain HTTP here: no HSTS (it would pin a local demo to HTTPS).
      expect(res.headers.get('strict-transport-security'), p).to.equal(null);
    }
  });

  it('a deleted room answers exactly like a room that never existed', async () => {
    const org = await createOrganization(server.services);
    expect((await fetch(`${server.url}/api/rooms/${org.room.slug}`)).status).to.equal(200);
    await server.services.organizations.deleteRoom(org.org.id, org.room.id);

    const deleted = await fetch(`${server.url}/api/rooms/${org.room.slug}`);
    const never = await fetch(`${server.url}/api/rooms/never-existed-${org.org.id.slice(0, 8)}`);
    expect([deleted.status, never.status]).to.deep.equal([404, 404]);
    expect(await deleted.json()).to.deep.equal(await never.json());

    const page = await fetch(`${server.url}/r/${org.room.slug}`);
    const neverPage = await fetch(`${server.url}/r/never-existed-${org.org.id.slice(0, 8)}`);
    expect([page.status, neverPage.status]).to.deep.equal([404, 404]);
    expect(await page.text()).to.equal(await neverPage.text());

    const checkIn = await postJson(server, '/api/visits', { roomSlug: org.room.slug, answers: { name: 'Ola Nordmann' } });
    expect(checkIn.status).to.equal(404);
    expect(((await checkIn.json()) as { error: { code: string } }).error.code).to.equal('not_found');
  });
});

describe('the client address behind a reverse proxy (real server)', function () {
  const LIMIT = 2;

  async function checkIns(server: TestServer, slug: string, forwardedFor: string[]): Promise<number[]> {
    const statuses: number[] = [];
    for (const address of forwardedFor) {
      const res = await postJson(server, '/api/visits', { roomSlug: slug, answers: { name: 'Ola Nordmann' } }, { 'x-forwarded-for': address });
      await res.body?.cancel();
      statuses.push(res.status);
    }
    return statuses;
  }

  it('with TRUST_PROXY=1 rate limits count each forwarded client address on its own', async () => {
    const server = await startTestServer({ env: { TRUST_PROXY: '1', JOIN_LIMIT_PER_MINUTE: String(LIMIT) } });
    try {
      const org = await createOrganization(server.services);
      const a = '203.0.113.10';
      const b = '198.51.100.20';
      expect(await checkIns(server, org.room.slug, [a, a, a, b, b, `${a}, 198.51.100.99`])).to.deep.equal([201, 201, 429, 201, 201, 201]);
    } finally {
      await server.close();
    }
  });

  it('without a trusted proxy a forged X-Forwarded-For does not get around the limit', async () => {
    const server = await startTestServer({ env: { JOIN_LIMIT_PER_MINUTE: String(LIMIT) } });
    try {
      const org = await createOrganization(server.services);
      expect(await checkIns(server, org.room.slug, ['203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.4'])).to.deep.equal([201, 201, 429, 429]);
      // And the rate-limit keys hold no address in clear.
      const rateKeys = await server.redis.client.keys('rate:*');
      expect(rateKeys.length).to.be.greaterThan(0);
      for (const key of rateKeys) expect(key).not.to.match(/127\.0\.0\.1|203\.0\.113|::1/);
    } finally {
      await server.close();
    }
  });

  it('refuses TRUST_PROXY=true, which would trust any client-sent address', async () => {
    let message = '';
    try {
      await startTestServer({ env: { TRUST_PROXY: 'true' } });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).to.contain('TRUST_PROXY=true');
  });
});

describe('TLS terminated by the server (real server, a certificate made for the test)', function () {
  let dir: string;
  let server: TestServer;
  let cert: string;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'consult-tls-'));
    const certFile = path.join(dir, 'cert.pem');
    const keyFile = path.join(dir, 'key.pem');
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', certFile,
    ], { stdio: 'ignore' });
    cert = fs.readFileSync(certFile, 'utf8');
    server = await startTestServer({ tls: { certFile, keyFile } });
  });
  after(async () => {
    await server?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function request(method: string, p: string, body?: unknown): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
    return new Promise((resolve, reject) => {
      const req = https.request(`${server.url}${p}`, {
        method,
        ca: cert,
        headers: body === undefined ? {} : { 'content-type': 'application/json', origin: server.origin },
      }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      });
      req.on('error', reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  }

  it('serves HTTPS with HSTS, and the login cookie is Secure with the __Host- prefix', async () => {
    expect(server.url).to.match(/^https:\/\//);
    const org = await createOrganization(server.services);
    const room = await request('GET', `/api/rooms/${org.room.slug}`);
    expect(room.status).to.equal(200);
    expect(room.headers['strict-transport-security']).to.match(/max-age=\d+/);
    expect(String(room.headers['content-security-policy'])).to.contain('upgrade-insecure-requests');

    const res = await request('POST', '/api/auth/login', { email: org.professional.email, password: org.professional.password });
    expect(res.status).to.equal(200);
    const setCookie = (res.headers['set-cookie'] ?? []) as string[];
    expect(setCookie).to.have.length(1);
    const attributes = setCookie[0]!.split(';').map((a) => a.trim().toLowerCase());
    expect(attributes[0]).to.match(/^__host-consult_sid=/);
    expect(attributes).to.include('secure');
    expect(attributes).to.include('httponly');
    expect(attributes).to.include('path=/');
  });
});
