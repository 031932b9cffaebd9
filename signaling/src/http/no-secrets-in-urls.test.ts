import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import * as protocol from '../../protocol/index.ts';
import { routesOf } from '../test-support/routes.ts';
import { startTestServer, type TestServer } from '../test-support/test-server.ts';

/*
 * No secret in any URL path or query, anywhere. Addresses are written down everywhere secrets must not
 * be: access logs (ours, a reverse proxy's, a CDN's), browser history, Referer headers, crash reports. So a
 * secret (a link's token, a code) travels in a request body or a header, and a link handed out carries it
 * in the fragment, which browsers send to no server.
 *
 * This walks every route of the running server's Express routers, every query schema a route parses, and
 * the public API's OpenAPI document, and fails on a path parameter or a query field named like a secret.
 * What must stay is listed below with the reason.
 */

const SECRET_NAME = /token|secret|key|code|pass(word|code)?|otp|signature|hmac|credential|session|sid\b/i;

/** Query fields that must carry a secret, and why that is acceptable. */
const ALLOWED_QUERY_FIELDS: Record<string, string> = {
  // OpenID Connect's authorization-code flow: the broker sends the browser back with these in the query
  // (the standard gives no other way). `state` is single use (taken at once, 256 bits); `code` is single
  // use, short-lived and worthless without our client secret.
  'bankIdCallbackQuery.state': 'OIDC callback, standard',
  'bankIdCallbackQuery.code': 'OIDC callback, standard',
};

/** Path parameters that must carry a secret, and why. None today. */
const ALLOWED_PATH_PARAMS: Record<string, string> = {};

/** `:name`, `*name`, `{*name}` in an Express 5 path. */
const paramsOf = (p: string) => [...p.matchAll(/[:*]([A-Za-z_$][\w$]*)/g)].map((m) => m[1]!);

const srcRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'test-support' ? [] : sourceFiles(full);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [full] : [];
  });
}

/** The field names of a zod object schema, through refinements, pipes and defaults. */
function fieldsOf(schema: unknown): string[] {
  const s = schema as { shape?: Record<string, unknown>; def?: { in?: unknown; innerType?: unknown; schema?: unknown } } | undefined;
  if (!s) return [];
  if (s.shape) return Object.keys(s.shape);
  return fieldsOf(s.def?.in ?? s.def?.innerType ?? s.def?.schema);
}

describe('no secret in any URL path or query (every route of the running server, every query schema, the OpenAPI document)', function () {
  this.timeout(30_000);
  let server: TestServer;

  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server?.close();
  });

  it('no route has a path parameter named like a secret', () => {
    const routes = routesOf(server.app);
    const seen = routes.map((r) => `${r.method} ${r.path}`);
    // The walk sees the routers (not an empty list that passes by itself): a few routes known to exist.
    for (const known of ['POST /api/consultations/link', 'POST /api/invitations/lookup', 'GET /c/:page', 'GET /api/v1/consultations/:id', 'GET /api/bankid/callback']) {
      expect(seen, known).to.include(known);
    }
    const offending = [...new Set(routes.map((r) => r.path))].flatMap((route) => paramsOf(route).filter((p) => SECRET_NAME.test(p) && !ALLOWED_PATH_PARAMS[`${route}:${p}`]).map((p) => `${route} (:${p})`));
    expect(offending, 'routes taking a secret in the path').to.deep.equal([]);
  });

  it('no query a route reads has a field named like a secret, but the OIDC callback’s', () => {
    const schemaNames = new Set<string>();
    const unreadable: string[] = [];
    for (const file of sourceFiles(srcRoot)) {
      const text = fs.readFileSync(file, 'utf8');
      for (const line of text.split('\n')) {
        if (!line.includes('req.query')) continue;
        const named = /(\w+)\.safeParse\(req\.query\)/.exec(line) ?? /parse\((\w+), req\.query\)/.exec(line);
        if (named) schemaNames.add(named[1]!);
        else if (/route\.query \? parse\(route\.query/.test(line)) continue; // the API's table: read below
        else if (/parsed\(route, route\.query, req\.query\)/.test(line)) continue; // the shared route table: read below
        else unreadable.push(`${path.relative(srcRoot, file)}: ${line.trim()}`);
      }
      // The public API's routes declare their query schemas in a table.
      if (file.includes(`${path.sep}api${path.sep}`)) for (const m of text.matchAll(/\bquery: ([a-z]\w*)[,\s]/g)) schemaNames.add(m[1]!);
    }
    // The routes of the shared table (protocol/routes.ts) declare their query schemas there: named by the
    // protocol export each one is.
    for (const table of [protocol.visitorRoutes, protocol.memberRoutes, protocol.organizationAdminRoutes]) {
      for (const route of Object.values(table) as { query?: unknown }[]) {
        if (!route.query) continue;
        const name = Object.entries(protocol).find(([, exported]) => exported === route.query)?.[0];
        expect(name, 'a route table query schema is a named export of signaling/protocol').to.be.a('string');
        schemaNames.add(name!);
      }
    }
    expect(unreadable, 'a route reads its query in a way this test cannot check: parse it with a schema from signaling/protocol').to.deep.equal([]);
    expect([...schemaNames], 'query schemas found').to.include.members(['embedParentQuery', 'bankIdCallbackQuery', 'auditListQuery', 'apiConsultationListQuery']);

    const offending: string[] = [];
    for (const name of schemaNames) {
      const schema = (protocol as Record<string, unknown>)[name];
      expect(schema, `${name} is declared in signaling/protocol`).to.not.equal(undefined);
      const fields = fieldsOf(schema);
      expect(fields, `${name} has fields`).to.not.be.empty;
      for (const field of fields) if (SECRET_NAME.test(field) && !ALLOWED_QUERY_FIELDS[`${name}.${field}`]) offending.push(`${name}.${field}`);
    }
    expect(offending, 'query fields carrying a secret').to.deep.equal([]);
  });

  it('the embedded page’s query names its page by a path that holds no secret (a consultation link of the old form is refused)', () => {
    const org = 'a'.repeat(32);
    const consultation = 'b'.repeat(32);
    const secret = 'S'.repeat(43);
    const ok = (page: string) => protocol.embedParentQuery.safeParse({ page, origin: 'https://ehr.example.com' }).success;
    expect(ok(`/c/${org}.${consultation}`)).to.equal(true);
    expect(ok(`/c/${org}.${consultation}.${secret}`), 'with the secret').to.equal(false);
    expect(ok(`/r/dr-hansen`)).to.equal(true);
    expect(ok(`/dashboard/link/${org}`)).to.equal(true);
  });

  it('the public API’s OpenAPI document puts no secret in a path or a query', async () => {
    const doc = (await (await fetch(`${server.url}/api/v1/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { parameters?: { name?: string; in?: string; $ref?: string }[] }>>;
      components?: { parameters?: Record<string, { name: string; in: string }> };
    };
    const resolve = (p: { name?: string; in?: string; $ref?: string }) => (p.$ref ? doc.components?.parameters?.[p.$ref.split('/').at(-1)!] : p);
    const offending: string[] = [];
    let parameters = 0;
    for (const [route, item] of Object.entries(doc.paths)) {
      for (const m of route.matchAll(/\{(\w+)\}/g)) if (SECRET_NAME.test(m[1]!)) offending.push(`${route}`);
      for (const [method, op] of Object.entries(item)) {
        for (const raw of op.parameters ?? []) {
          const p = resolve(raw);
          if (!p || (p.in !== 'query' && p.in !== 'path')) continue;
          parameters++;
          if (SECRET_NAME.test(p.name ?? '')) offending.push(`${method.toUpperCase()} ${route} ${p.in} ${p.name}`);
        }
      }
    }
    expect(parameters, 'the document lists parameters at all').to.be.greaterThan(0);
    expect(offending).to.deep.equal([]);
  });
});
