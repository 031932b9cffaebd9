import { expect } from 'chai';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { AuditAddress, AuditEntryView, AuditListResponse, AuditSettings, Me } from '../../protocol/index.ts';
import { keys } from '../redis/keys.ts';
import { newId } from '../ids.ts';
import { addMember, createOrganization, sessionCookieFor, startTestServer, type TestMember, type TestOrganization, type TestServer } from '../test-support/test-server.ts';

interface Auth {
  cookie: string;
  csrfToken: string;
}

const DAY = 86_400_000;

/*
 * The audit log as an organization's admins use it (real server, Redis): a filtered list a page at a
 * time, exports (themselves audited), revealing one entry's address (audited), the log's retention and its
 * anchors; and `npm run audit:verify` run as an operator would. To anyone but an admin, none of it exists.
 */
describe('audit log: the admins’ routes and audit:verify (real server, Redis)', function () {
  this.timeout(60_000);
  let server: TestServer;
  let org: TestOrganization;
  let admin: TestMember;
  let adminAuth: Auth;
  let proAuth: Auth;
  let anchorDir: string;
  let anchorFile: string;

  async function authOf(orgId: string, memberId: string): Promise<Auth> {
    const cookie = `consult_sid=${await sessionCookieFor(server, orgId, memberId)}`;
    const me = (await (await fetch(`${server.url}/api/auth/me`, { headers: { cookie } })).json()) as Me;
    return { cookie, csrfToken: me.csrfToken };
  }

  async function api(method: string, path: string, auth: Auth | null, body?: unknown, extra: Record<string, string> = {}) {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        origin: server.origin,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(auth ? { cookie: auth.cookie, 'x-csrf-token': auth.csrfToken } : {}),
        ...extra,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, body: json, text, headers: res.headers };
  }
  const list = async (query: string) => (await api('GET', `/api/admin/audit${query}`, adminAuth)).body as AuditListResponse;

  before(async () => {
    anchorDir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-anchors-'));
    anchorFile = path.join(anchorDir, 'anchors.jsonl');
    server = await startTestServer({ env: { DATA_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`, AUDIT_ANCHOR_FILE: anchorFile } });
    org = await createOrganization(server.services, { name: 'Fjord Clinic' });
    admin = await addMember(server.services, org.org.id, { name: 'Anne Admin', role: 'admin' });
    adminAuth = await authOf(org.org.id, admin.id);
    proAuth = await authOf(org.org.id, org.professional.id);
  });
  after(async () => {
    await server?.close();
    fs.rmSync(anchorDir, { recursive: true, force: true });
  });

  /** Entries written as the features would, with a pause so each has its own millisecond. */
  async function write(n: number, entry: Partial<Parameters<TestServer['services']['audit']['record']>[0]> = {}): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      ids.push((await server.services.audit.record({ orgId: org.org.id, actor: org.professional.id, action: 'view_history', ...entry }))!);
      await new Promise((r) => setTimeout(r, 2));
    }
    return ids;
  }

  it('to a member who is not an admin every audit route says it is for admins (403); logged out, 401', async () => {
    const id = (await write(1, { address: '198.51.100.4' }))[0]!;
    const routes: [string, string, unknown?][] = [
      ['GET', '/api/admin/audit'],
      ['GET', '/api/admin/audit/export?format=csv'],
      ['POST', `/api/admin/audit/entries/${id}/address`, {}],
      ['GET', '/api/admin/audit/settings'],
      ['PATCH', '/api/admin/audit/settings', { auditRetentionDays: 30 }],
    ];
    const before = await server.redis.client.xlen(keys.audit(org.org.id));
    for (const [method, path, body] of routes) {
      const res = await api(method, path, proAuth, body);
      expect([res.status, res.body?.error?.code], `${method} ${path}`).to.deep.equal([403, 'forbidden']);
      expect((await api(method, path, null, body)).status, `${method} ${path} logged out`).to.equal(401);
    }
    expect(await server.redis.client.xlen(keys.audit(org.org.id)), 'nothing exported, nothing revealed').to.equal(before);
    expect(await server.services.audit.retentionDays(org.org.id)).to.equal(365);
  });

  it('lists newest first, filtered by actor, action and time, a page at a time', async () => {
    const colleague = newId();
    const a = await write(3, { action: 'admit', targetId: newId() });
    const b = await write(2, { actor: colleague, action: 'deny', targetId: newId() });
    const c = await write(3, { actor: 'system', action: 'call_end', targetId: newId() });

    const newest = await list('?limit=4');
    expect(newest.entries.map((e) => e.id)).to.deep.equal([...c].reverse().concat(b[1]!));
    const rest = await list(`?limit=4&cursor=${newest.nextCursor}`);
    expect(rest.entries.map((e) => e.id).slice(0, 4)).to.deep.equal([b[0], ...[...a].reverse()]);

    expect((await list(`?actor=${colleague}`)).entries.map((e) => e.id)).to.deep.equal([...b].reverse());
    expect((await list('?action=call_end&actor=system')).entries.map((e) => e.id)).to.deep.equal([...c].reverse());
    const from = Number(a[1]!.split('-')[0]);
    const to = Number(b[1]!.split('-')[0]);
    expect((await list(`?from=${from}&to=${to}`)).entries.map((e) => e.id)).to.deep.equal([b[0], a[2], a[1]]);

    // Paging through a filter: two at a time, to the end.
    const pages: string[][] = [];
    let cursor = '';
    for (;;) {
      const page = await list(`?action=admit&limit=2${cursor}`);
      pages.push(page.entries.map((e) => e.id));
      if (!page.nextCursor) break;
      cursor = `&cursor=${page.nextCursor}`;
    }
    expect(pages.flat()).to.deep.equal([...a].reverse());
    const entry = (await list('?action=deny&limit=1')).entries[0]!;
    expect(entry).to.deep.include({ actor: colleague, action: 'deny', hasAddress: false, sessionHash: null, detail: {} });
    expect(entry.at).to.equal(Number(b[1]!.split('-')[0]));
  });

  it('bad filters are refused with 400 bad_request and a message naming the filter', async () => {
    const bad = ['?action=hacked', '?actor=Kari', '?from=yesterday', '?from=20&to=10', '?cursor=abc', '?limit=0', '?limit=201', '?unknown=1', '?action=login&action=logout'];
    for (const q of bad) {
      const res = await api('GET', `/api/admin/audit${q}`, adminAuth);
      expect([res.status, res.body?.error?.code], q).to.deep.equal([400, 'bad_request']);
    }
    expect((await api('GET', '/api/admin/audit?action=admit', adminAuth)).status).to.equal(200);
    expect((await api('GET', '/api/admin/audit?action=hacked', adminAuth)).body.error.message).to.match(/^action:/);
    expect((await api('GET', '/api/admin/audit/export?format=xml', adminAuth)).status).to.equal(400);
  });

  it('exports as CSV and as JSON (oldest first, the filters applied), and each export is itself audited', async () => {
    const target = newId();
    const ids = await write(2, { action: 'transfer', targetId: target, detail: { from: newId(), to: newId() } });
    const csv = await api('GET', '/api/admin/audit/export?format=csv&action=transfer', adminAuth);
    expect(csv.status).to.equal(200);
    expect(csv.headers.get('content-type')).to.match(/^text\/csv/);
    expect(csv.headers.get('content-disposition')).to.match(/^attachment; filename="audit-\d{4}-\d{2}-\d{2}\.csv"$/);
    const rows = csv.text.trim().split('\r\n');
    expect(rows[0]).to.equal('id,time,actor,action,target,session,detail');
    expect(rows.slice(1).map((r) => r.split(',')[0])).to.deep.equal(ids);
    expect(rows[1]).to.contain(`,${org.professional.id},transfer,${target},,"{""from"":`);

    const json = await api('GET', '/api/admin/audit/export?format=json&action=transfer', adminAuth);
    expect(json.headers.get('content-type')).to.match(/^application\/json/);
    expect((json.body as { id: string; time: string }[]).map((e) => e.id)).to.deep.equal(ids);
    expect(json.body[0]).to.deep.include({ actor: org.professional.id, action: 'transfer', target, time: new Date(Number(ids[0]!.split('-')[0])).toISOString() });

    const exports = (await list('?action=export')).entries;
    expect(exports.map((e) => [e.actor, e.detail])).to.deep.equal([
      [admin.id, { of: 'audit_log', format: 'json', action: 'transfer' }],
      [admin.id, { of: 'audit_log', format: 'csv', action: 'transfer' }],
    ]);
    expect(exports[0]!.sessionHash).to.match(/^[0-9a-f]{64}$/);

    // Opened from another site's page (a link, the cookie going along): nothing, and no export in the log.
    const crossSite = await api('GET', '/api/admin/audit/export?format=csv', adminAuth, undefined, { 'sec-fetch-site': 'cross-site' });
    expect(crossSite.status).to.equal(404);
    expect((await list('?action=export')).entries).to.have.length(2);
  });

  it('reveals one entry’s address to an admin, and that is audited; no address, a made-up id, another organization’s entry: 404', async () => {
    const [withAddress] = await write(1, { action: 'login', address: '198.51.100.23', detail: { method: 'password_totp' } });
    const [without] = await write(1);
    const other = await createOrganization(server.services);
    const otherEntry = (await server.services.audit.record({ orgId: other.org.id, actor: 'system', action: 'login_failed', address: '198.51.100.99' }))!;

    const shown = await api('POST', `/api/admin/audit/entries/${withAddress}/address`, adminAuth, {});
    expect(shown.status).to.equal(200);
    expect(shown.body as AuditAddress).to.deep.equal({ address: '198.51.100.23' });
    const [audited] = (await list('?action=address_decrypted')).entries;
    expect(audited).to.deep.include({ actor: admin.id, targetId: withAddress, hasAddress: true });

    for (const id of [without, otherEntry, '1-0', 'not-an-id']) {
      const res = await api('POST', `/api/admin/audit/entries/${id}/address`, adminAuth, {});
      expect([res.status, res.body?.error?.code], id).to.deep.equal([404, 'not_found']);
    }
    expect((await list('?action=address_decrypted')).entries, 'only what was shown').to.have.length(1);
    const csrf = await api('POST', `/api/admin/audit/entries/${withAddress}/address`, { ...adminAuth, csrfToken: 'wrong' }, {});
    expect(csrf.status).to.equal(403);
  });

  it('the log’s retention: 365 days unless an admin sets 30..3650 (audited); trimming follows it', async () => {
    const get = async () => (await api('GET', '/api/admin/audit/settings', adminAuth)).body as AuditSettings;
    expect(await get()).to.deep.include({ auditRetentionDays: 365, anchoring: true });
    for (const bad of [29, 3651, 90.5, '90', null]) {
      const res = await api('PATCH', '/api/admin/audit/settings', adminAuth, { auditRetentionDays: bad });
      expect([res.status, res.body?.error?.code], String(bad)).to.deep.equal([400, 'bad_request']);
    }
    expect((await get()).auditRetentionDays).to.equal(365);
    expect((await api('PATCH', '/api/admin/audit/settings', adminAuth, { auditRetentionDays: 60 })).status).to.equal(200);
    expect((await get()).auditRetentionDays).to.equal(60);
    const [change] = (await list('?action=settings_change')).entries;
    expect(change).to.deep.include({ actor: admin.id, detail: { setting: 'auditRetentionDays', value: 60 } });

    const total = await server.redis.client.xlen(keys.audit(org.org.id));
    expect(await server.services.audit.trim(org.org.id, Date.now() + 59 * DAY), 'not yet 60 days').to.equal(0);
    expect(await server.services.audit.trim(org.org.id, Date.now() + 61 * DAY)).to.equal(total);
    expect((await api('PATCH', '/api/admin/audit/settings', adminAuth, { auditRetentionDays: 365 })).status).to.equal(200);
  });

  it('anchors are written to the file and shown to admins', async () => {
    await write(3, { action: 'call_start', targetId: newId() });
    const anchor = await server.services.audit.anchors.anchor(org.org.id);
    expect(anchor).to.not.equal(null);
    const lines = fs.readFileSync(anchorFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.at(-1)).to.deep.equal(anchor);
    expect(((await api('GET', '/api/admin/audit/settings', adminAuth)).body as AuditSettings).anchors[0]).to.deep.equal({
      entryId: anchor!.entryId,
      hash: anchor!.hash,
      at: anchor!.at,
    });
    expect(await server.services.audit.anchors.anchor(org.org.id), 'nothing new since').to.equal(null);
  });

  it('npm run audit:verify checks the chain against the anchors (exit 0), finds a removed entry (exit 1), and is itself audited', async () => {
    const { org: fresh } = await createOrganization(server.services);
    for (let i = 0; i < 4; i++) await server.services.audit.record({ orgId: fresh.id, actor: 'system', action: 'call_end', targetId: newId() });
    await server.services.audit.anchors.anchor(fresh.id);
    await server.services.audit.record({ orgId: fresh.id, actor: 'system', action: 'call_end', targetId: newId() });

    const ok = await verifyCli(fresh.id);
    expect(ok.code, ok.output).to.equal(0);
    expect(ok.output).to.contain(`organization ${fresh.id}: 5 entries checked, from the first entry to `);
    expect(ok.output).to.contain('1 anchor(s) compared');
    expect(ok.output).to.contain('the audit chain holds');
    const [operator] = (await server.services.audit.list(fresh.id, { actor: 'operator' })).entries;
    expect(operator).to.deep.include({ action: 'operator_command', detail: { command: 'audit_verify', result: 'ok' } });

    // An entry in the middle deleted by someone with access to Redis.
    const all = await server.redis.client.xrange(keys.audit(fresh.id), '-', '+');
    await server.redis.client.xdel(keys.audit(fresh.id), all[1]![0]);
    const broken = await verifyCli(fresh.id);
    expect(broken.code, broken.output).to.equal(1);
    expect(broken.output).to.contain(`PROBLEM broken_link: the chain breaks between ${all[0]![0]} and ${all[2]![0]}`);
    expect(broken.output).to.contain('the audit chain does NOT hold');

    expect((await verifyCli('nonsense')).code, 'usage').to.equal(2);
    expect((await verifyCli(newId())).code, 'no such organization').to.equal(2);
  });

  it('npm run audit:verify with DATA_ENCRYPTION_KEYS also checks the client addresses: two swapped between entries are reported (exit 1)', async () => {
    const { org: fresh } = await createOrganization(server.services);
    const ids: string[] = [];
    for (const address of ['192.0.2.10', '192.0.2.11']) ids.push((await server.services.audit.record({ orgId: fresh.id, actor: 'system', action: 'login_failed', address }))!);
    const withKey = { DATA_ENCRYPTION_KEYS: server.services.config.DATA_ENCRYPTION_KEYS };
    const ok = await verifyCli(fresh.id, withKey);
    expect(ok.code, ok.output).to.equal(0);
    expect(ok.output).to.contain('2 client address(es) checked');
    expect((await verifyCli(fresh.id)).output, 'without the key').to.contain('the client addresses kept with the entries are not checked');

    const copies = await server.redis.client.hgetall(keys.auditAddresses(fresh.id));
    const [a, b] = Object.keys(copies) as [string, string];
    await server.redis.client.hset(keys.auditAddresses(fresh.id), a, copies[b]!, b, copies[a]!);
    const swapped = await verifyCli(fresh.id, withKey);
    expect(swapped.code, swapped.output).to.equal(1);
    for (const entryId of ids) expect(swapped.output).to.contain(`PROBLEM address_mismatch: the client address kept for entry ${entryId}`);
    expect(swapped.output).not.to.contain('192.0.2.1');
  });

  /** `npm run audit:verify -- --org <id>` as an operator runs it, against this test's Redis and anchor file. */
  function verifyCli(orgId: string, env: Record<string, string | undefined> = {}): Promise<{ code: number | null; output: string }> {
    return new Promise((resolve) => {
      const child = spawn('npm', ['run', '--silent', 'audit:verify', '--', '--org', orgId], {
        env: { ...process.env, REDIS_URL: server.redis.url, AUDIT_ANCHOR_FILE: anchorFile, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      child.on('exit', (code) => resolve({ code, output }));
    });
  }
});
