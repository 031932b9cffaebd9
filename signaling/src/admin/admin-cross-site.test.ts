import { expect } from 'chai';
import { keys } from '../redis/keys.ts';
import { addMember, createOrganization, joinWaitingRoom, memberApi, startTestServer, type TestServer } from '../test-support/test-server.ts';

/*
 * The session cookie is SameSite=Lax: a link, image or form on another site that opens an admin address
 * at top level still carries it. Admin routes read personal data (and write the reading to the audit log),
 * so a request the browser says comes from another site gets what an unknown address gets, leaves no
 * audit entry, and our own pages go on working.
 */
describe('admin routes from another site (real server, Redis)', function () {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server?.close();
  });

  it('every admin address that reads refuses Sec-Fetch-Site cross-site / same-site and a foreign Origin (404, nothing audited); same-origin works', async () => {
    const org = await createOrganization(server.services);
    const adminMember = await addMember(server.services, org.org.id, { role: 'admin' });
    const admin = await memberApi(server, org.org.id, adminMember.id);
    const { visitorId } = await joinWaitingRoom(server, org.room.slug, 'Kari Nordmann');
    const auditEntries = () => server.redis.client.xlen(keys.audit(org.org.id));

    const reads = [
      `/api/admin/visitors/${visitorId}/export`,
      '/api/admin/audit',
      '/api/admin/audit/export?format=csv',
      '/api/admin/audit/settings',
      '/api/admin/organization',
      '/api/admin/bankid/members',
      '/api/admin/webhook-deliveries',
      '/api/admin/webhooks',
      '/api/admin/api-keys',
      '/api/admin/embedding',
    ];
    const from = (path: string, headers: Record<string, string>) => fetch(`${server.url}${path}`, { headers: { cookie: admin.cookie, ...headers } });
    for (const path of reads) {
      for (const headers of <Record<string, string>[]>[{ 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site' }, { origin: 'https://attacker.example' }, { 'sec-fetch-site': 'cross-site', origin: 'null' }]) {
        const before = await auditEntries();
        const res = await from(path, headers);
        expect(res.status, `${path} ${JSON.stringify(headers)}`).to.equal(404);
        expect(await res.json()).to.deep.equal({ error: { code: 'not_found', message: 'not found' } });
        expect(await auditEntries(), `${path} ${JSON.stringify(headers)} audited`).to.equal(before);
      }
    }

    // From the dashboard (same origin), and from a typed address or bookmark (Sec-Fetch-Site: none).
    const before = await auditEntries();
    for (const path of reads) {
      for (const headers of <Record<string, string>[]>[{ 'sec-fetch-site': 'same-origin', origin: server.origin }, { 'sec-fetch-site': 'none' }, {}]) {
        const res = await from(path, headers);
        expect(res.status, `${path} ${JSON.stringify(headers)}`).to.equal(200);
        await res.body?.cancel();
      }
    }
    expect(await auditEntries(), 'the search, the visitor export and the audit export were audited').to.be.greaterThan(before);
    // The visitor search (a POST, the words in the body): refused from another site too, nothing audited.
    for (const headers of <Record<string, string>[]>[{ 'sec-fetch-site': 'cross-site' }, { origin: 'https://attacker.example' }]) {
      const before = await auditEntries();
      const res = await fetch(`${server.url}/api/admin/visitors/search`, {
        method: 'POST',
        headers: { cookie: admin.cookie, 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ q: 'Kari' }),
      });
      // Refused before the admin guard even looks: state-changing requests from another site never pass (403).
      expect(res.status, `search ${JSON.stringify(headers)}`).to.equal(403);
      await res.body?.cancel();
      expect(await auditEntries()).to.equal(before);
    }
    const found = (await admin.call('POST', '/api/admin/visitors/search', { q: 'Kari' })).body as { visitors: { visitorId: string }[] };
    expect(found.visitors.map((v) => v.visitorId)).to.deep.equal([visitorId]);
  });

  it('a member’s own call history (it reads visitors’ names and is audited) is refused to another site too', async () => {
    const org = await createOrganization(server.services);
    const member = await memberApi(server, org.org.id, org.professional.id);
    const auditEntries = () => server.redis.client.xlen(keys.audit(org.org.id));
    const from = (headers: Record<string, string>) => fetch(`${server.url}/api/history`, { headers: { cookie: member.cookie, ...headers } });
    const before = await auditEntries();
    for (const headers of <Record<string, string>[]>[{ 'sec-fetch-site': 'cross-site' }, { origin: 'https://attacker.example' }]) {
      const res = await from(headers);
      expect(res.status, JSON.stringify(headers)).to.equal(404);
      await res.body?.cancel();
    }
    expect(await auditEntries(), 'nothing audited').to.equal(before);
    const own = await from({ 'sec-fetch-site': 'same-origin', origin: server.origin });
    expect(own.status).to.equal(200);
    await own.body?.cancel();
  });
});
