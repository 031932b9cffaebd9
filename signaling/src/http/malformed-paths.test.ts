import fs from 'node:fs';
import { expect } from 'chai';
import { startTestServer, stubAppDist, type TestServer } from '../test-support/test-server.ts';

/*
 * Anyone can type a link with broken percent-encoding. It is no link we gave out: the visitor gets the page
 * that says so, the API a bad request, and nobody gets a 500 or an error line in our log per request.
 */
describe('links with broken percent-encoding (real server)', function () {
  let server: TestServer;
  let visitorApp: string;
  let dashboardApp: string;

  before(async () => {
    visitorApp = stubAppDist('visitor app');
    dashboardApp = stubAppDist('dashboard');
    server = await startTestServer({ env: { CLIENT_DIST: visitorApp, DASHBOARD_DIST: dashboardApp } });
  });
  after(async () => {
    await server?.close();
    for (const dir of [visitorApp, dashboardApp]) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('pages answer the visitor app’s "not valid" page, the API a coded 400, and nothing is logged as an error', async () => {
    const before = server.logs().length;
    for (const path of ['/r/%', '/c/%', '/r/%E0%A4%A', '/c/abc%zz', '/dashboard/%', '/dashboard/x/%G1', '/v/assets/%', '/%', '/check%']) {
      const res = await fetch(`${server.url}${path}`);
      expect(res.status, path).to.equal(404);
      expect(await res.text(), path).to.contain('<title>visitor app</title>');
      expect(res.headers.get('content-security-policy'), path).to.contain("frame-ancestors 'none'");
    }
    for (const path of ['/api/x/%zz', '/api/rooms/%', '/api/consultations/link/%', '/api/admin/visitors/%/export']) {
      const res = await fetch(`${server.url}${path}`);
      expect(res.status, path).to.equal(400);
      expect(await res.json(), path).to.deep.equal({ error: { code: 'bad_request', message: 'this address is not valid' } });
    }
    const res = await fetch(`${server.url}/api/visits/%`, { method: 'POST', headers: { origin: server.origin, 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).to.equal(400);
    await res.body?.cancel();

    const errors = server.logs().slice(before).filter((line) => (JSON.parse(line) as { level: number }).level >= 50);
    expect(errors).to.deep.equal([]);
  });
});
