import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { DEFAULT_CHECK_IN, NAME_MAX } from '../../protocol/index.ts';
import {
  createOrganization,
  postJson,
  startTestServer,
  stubAppDist,
  type TestOrganization,
  type TestServer,
} from '../test-support/test-server.ts';
import { scanKeys } from '../test-support/redis-keys.ts';

/*
 * The visitor's HTTP side against a real server and Redis: check-in validation, unknown links, rate limits,
 * the visitor app's page and the Origin check.
 */

const visitorKeys = (server: TestServer) => scanKeys(server.redis.client, '{org:*}:visitor:*');

async function errorOf(res: Response): Promise<{ status: number; code: string; body: unknown }> {
  const body = (await res.json()) as { error?: { code?: string; message?: string } };
  expect(Object.keys(body)).to.deep.equal(['error']);
  expect(body.error?.message).to.be.a('string');
  return { status: res.status, code: body.error?.code ?? '', body };
}

describe('visitor check-in over HTTP (real server)', function () {
  let server: TestServer;
  let org: TestOrganization;
  let clientDist: string;

  before(async () => {
    clientDist = stubAppDist('visitor app stub');
    // Every check-in attempt counts against the address's limit, valid or not; this block makes many.
    server = await startTestServer({ env: { CLIENT_DIST: clientDist, JOIN_LIMIT_PER_MINUTE: '1000' } });
    org = await createOrganization(server.services);
  });
  after(async () => {
    await server?.close();
    fs.rmSync(clientDist, { recursive: true, force: true });
  });

  it('refuses bad names with 400 bad_request and creates no visitor', async () => {
    const bad: [string, unknown][] = [
      ['empty', ''],
      ['whitespace only', ' \t '],
      ['101 characters', 'a'.repeat(NAME_MAX + 1)],
      ['NUL', 'Ola\u0000Nordmann'],
      ['newline', 'Ola\nNordmann'],
      ['carriage return', 'Ola\rNordmann'],
      ['tab inside', 'Ola\tNordmann'],
      ['escape', 'Ola\u001b[31mNordmann'],
      ['DEL', 'Ola\u007fNordmann'],
      ['right-to-left override', 'Ola\u202ENordmann'],
      ['left-to-right embedding', '\u202AOla'],
      ['right-to-left isolate', 'Ola\u2067Nordmann'],
      ['pop directional isolate', 'Ola\u2069'],
      ['a number', 42],
      ['null', null],
      ['an array', ['Ola']],
      ['an object', { first: 'Ola' }],
    ];
    for (const [what, name] of bad) {
      const res = await postJson(server, '/api/visits', { roomSlug: org.room.slug, answers: { name } });
      const err = await errorOf(res);
      expect([err.status, err.code], what).to.deep.equal([400, 'bad_request']);
    }
    expect(await visitorKeys(server)).to.deep.equal([]);
  });

  it('refuses malformed bodies with 400 bad_request and creates no visitor', async () => {
    const bodies: [string, string][] = [
      ['no name', JSON.stringify({ roomSlug: org.room.slug })],
      ['no room', JSON.stringify({ name: 'Ola' })],
      ['an extra key', JSON.stringify({ roomSlug: org.room.slug, answers: { name: 'Ola', admin: true } })],
      ['a malformed slug', JSON.stringify({ roomSlug: '../x', answers: { name: 'Ola' } })],
      ['a slug with upper case', JSON.stringify({ roomSlug: org.room.slug.toUpperCase(), answers: { name: 'Ola' } })],
      ['not JSON', '{"roomSlug": '],
      ['a JSON string', '"Ola"'],
      ['a JSON array', '[]'],
      ['too large', JSON.stringify({ roomSlug: org.room.slug, answers: { name: 'a'.repeat(20_000) } })],
    ];
    for (const [what, body] of bodies) {
      const res = await fetch(`${server.url}/api/visits`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: server.origin },
        body,
      });
      const err = await errorOf(res);
      expect([err.status, err.code], what).to.deep.equal([400, 'bad_request']);
    }
    expect(await visitorKeys(server)).to.deep.equal([]);
  });

  it('accepts a 100-character name, and trims surrounding whitespace', async () => {
    const long = 'Å'.repeat(NAME_MAX);
    const res = await postJson(server, '/api/visits', { roomSlug: org.room.slug, answers: { name: long } });
    expect(res.status).to.equal(201);
    const { visitorId, visitorToken } = (await res.json()) as { visitorId: string; visitorToken: string };
    expect(visitorId).to.match(/^[0-9a-f]{32}$/);
    expect(visitorToken).to.be.a('string');
    expect((await server.services.waitingRoom.getVisitor(org.org.id, visitorId))?.name).to.equal(long);

    const res2 = await postJson(server, '/api/visits', { roomSlug: org.room.slug, answers: { name: `  ${'b'.repeat(NAME_MAX)}  ` } });
    expect(res2.status).to.equal(201);
    const second = (await res2.json()) as { visitorId: string };
    expect((await server.services.waitingRoom.getVisitor(org.org.id, second.visitorId))?.name).to.equal('b'.repeat(NAME_MAX));
    expect(await visitorKeys(server)).to.have.length(2);
  });

  it('answers 404 not_found for an unknown room, on check-in and on the room info', async () => {
    const before = await visitorKeys(server);
    const slug = `no-such-${randomBytes(4).toString('hex')}`;
    const join = await errorOf(await postJson(server, '/api/visits', { roomSlug: slug, answers: { name: 'Ola' } }));
    expect([join.status, join.code]).to.deep.equal([404, 'not_found']);
    const info = await errorOf(await fetch(`${server.url}/api/rooms/${slug}`));
    expect([info.status, info.code]).to.deep.equal([404, 'not_found']);
    // A malformed slug looks exactly like an unknown one.
    const malformed = await errorOf(await fetch(`${server.url}/api/rooms/NOT_A_SLUG`));
    expect(malformed.body).to.deep.equal(info.body);
    expect(await visitorKeys(server)).to.deep.equal(before);

    const known = await fetch(`${server.url}/api/rooms/${org.room.slug}`);
    expect(known.status).to.equal(200);
    expect(await known.json()).to.deep.equal({ name: org.room.name, professionalName: org.professional.name, timeZone: 'Europe/Oslo', checkIn: DEFAULT_CHECK_IN, price: null, privacyPage: `/privacy/${org.org.id}` });
  });

  it('serves the visitor app at /r/<slug>: 404 for an unknown link, 200 for a known one', async () => {
    const unknown = await fetch(`${server.url}/r/no-such-${randomBytes(4).toString('hex')}`);
    expect(unknown.status).to.equal(404);
    expect(await unknown.text()).to.contain('visitor app stub'); // the app shows "not valid" itself
    const known = await fetch(`${server.url}/r/${org.room.slug}`);
    expect(known.status).to.equal(200);
    expect(await known.text()).to.contain('visitor app stub');
  });

  it('refuses state-changing requests without our Origin: 403 csrf_failed, nothing created', async () => {
    const before = await visitorKeys(server);
    const body = JSON.stringify({ roomSlug: org.room.slug, answers: { name: 'Ola' } });
    const origins: [string, Record<string, string>][] = [
      ['no Origin', {}],
      ['a foreign Origin', { origin: 'http://evil.example' }],
      ['Origin "null"', { origin: 'null' }],
      ['our host on another port', { origin: server.origin.replace(/:\d+$/, ':1') }],
      ['our origin with https', { origin: server.origin.replace('http:', 'https:') }],
    ];
    for (const [what, headers] of origins) {
      for (const p of ['/api/visits', '/api/auth/login']) {
        const res = await fetch(`${server.url}${p}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
        const err = await errorOf(res);
        expect([err.status, err.code], `${p} with ${what}`).to.deep.equal([403, 'csrf_failed']);
      }
    }
    expect(await visitorKeys(server)).to.deep.equal(before);
  });
});

describe('visitor rate limits (real server)', function () {
  const JOIN_LIMIT = 4;
  const UNKNOWN_ROOM_LIMIT = 5;
  let server: TestServer;
  let org: TestOrganization;
  let clientDist: string;

  before(async () => {
    clientDist = stubAppDist('visitor app stub');
    server = await startTestServer({
      env: { CLIENT_DIST: clientDist, JOIN_LIMIT_PER_MINUTE: String(JOIN_LIMIT), UNKNOWN_ROOM_LIMIT_PER_MINUTE: String(UNKNOWN_ROOM_LIMIT) },
    });
    org = await createOrganization(server.services);
  });
  after(async () => {
    await server?.close();
    fs.rmSync(clientDist, { recursive: true, force: true });
  });

  it('probing unknown room links from one address gets 429 rate_limited; known rooms keep working', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < UNKNOWN_ROOM_LIMIT + 3; i++) {
      const res = await fetch(`${server.url}/api/rooms/probe-${randomBytes(6).toString('hex')}`);
      const err = await errorOf(res);
      statuses.push(err.status);
      expect(err.code).to.equal(err.status === 404 ? 'not_found' : 'rate_limited');
    }
    expect(statuses).to.deep.equal([...Array(UNKNOWN_ROOM_LIMIT).fill(404), 429, 429, 429]);
    // The visitor app's page counts too.
    expect((await fetch(`${server.url}/r/probe-${randomBytes(6).toString('hex')}`)).status).to.equal(429);
    // A known link is never limited: someone behind the same address may still knock.
    expect((await fetch(`${server.url}/api/rooms/${org.room.slug}`)).status).to.equal(200);
    expect((await fetch(`${server.url}/r/${org.room.slug}`)).status).to.equal(200);
  });

  it('a burst of check-ins from one address gets 429 rate_limited and creates no more visitors', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < JOIN_LIMIT + 3; i++) {
      const res = await postJson(server, '/api/visits', { roomSlug: org.room.slug, answers: { name: `Visitor ${i}` } });
      statuses.push(res.status);
      if (res.status === 429) expect((await errorOf(res)).code).to.equal('rate_limited');
      else await res.body?.cancel();
    }
    expect(statuses).to.deep.equal([...Array(JOIN_LIMIT).fill(201), 429, 429, 429]);
    expect(await visitorKeys(server)).to.have.length(JOIN_LIMIT);
    // Rate-limit counters hold no address in clear.
    const rateKeys = await server.redis.client.keys('rate:*');
    expect(rateKeys.length).to.be.greaterThan(0);
    for (const key of rateKeys) expect(key).not.to.contain('127.0.0.1');
  });
});
