import { randomBytes, randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { z } from 'zod';
import { professionalEvents, visitorEvents, type EventTable } from '../../protocol/index.ts';
import {
  askRaw,
  createOrganization,
  joinWaitingRoom,
  login,
  professionalSocket,
  roundTrip,
  sleep,
  startTestServer,
  visitorSocket,
  type ProfessionalClient,
  type TestServer,
  type VisitorClient,
  testPublicKey,
} from '../test-support/test-server.ts';
import { diffDumps, dumpRedis, type DumpedKey } from '../test-support/redis-dump.ts';

/*
 * Principle 4 of the design: every incoming payload is validated; a bad one gets a clear error code in the
 * ack and changes nothing. Table-driven over the protocol's own event tables, so a new event is covered
 * as soon as it is declared (its fields need a sample below; the test says so if one is missing).
 */

const hexId = () => randomBytes(16).toString('hex');

/** A valid value for each field name used in the event tables. */
const SAMPLES: Record<string, { sample: () => unknown; kind: 'id' | 'uuid' | 'record' | 'enum' | 'boolean' | 'base64url' | 'peerId' | 'message' | 'percent' | 'milliseconds' | 'copies' }> = {
  callId: { sample: hexId, kind: 'id' },
  visitorId: { sample: hexId, kind: 'id' },
  roomId: { sample: hexId, kind: 'id' },
  professionalId: { sample: hexId, kind: 'id' },
  deviceId: { sample: hexId, kind: 'id' },
  copies: { sample: () => [{ to: 'visitor', blob: randomBytes(60).toString('base64url') }], kind: 'copies' },
  message: { sample: () => 'I am running about 10 minutes late.', kind: 'message' },
  rating: { sample: () => 'good', kind: 'enum' },
  lossPercent: { sample: () => 1.5, kind: 'percent' },
  rttMs: { sample: () => 42, kind: 'milliseconds' },
  transportId: { sample: randomUUID, kind: 'uuid' },
  consumerId: { sample: randomUUID, kind: 'uuid' },
  producerId: { sample: randomUUID, kind: 'uuid' },
  dtlsParameters: { sample: () => ({ role: 'client', fingerprints: [{ algorithm: 'sha-256', value: 'AB:CD' }] }), kind: 'record' },
  rtpParameters: { sample: () => ({ codecs: [], encodings: [{ ssrc: 1111 }] }), kind: 'record' },
  rtpCapabilities: { sample: () => ({ codecs: [], headerExtensions: [] }), kind: 'record' },
  kind: { sample: () => 'audio', kind: 'enum' },
  source: { sample: () => 'microphone', kind: 'enum' },
  paused: { sample: () => true, kind: 'boolean' },
  on: { sample: () => false, kind: 'boolean' },
  publicKey: { sample: () => testPublicKey, kind: 'base64url' },
  to: { sample: () => `visitor:${hexId()}`, kind: 'peerId' },
  blob: { sample: () => randomBytes(60).toString('base64url'), kind: 'base64url' },
};

/** Values that are wrong for a field of each kind, and must be refused by the schema (checked below). */
const MALFORMED_BY_KIND: Record<string, [string, unknown][]> = {
  id: [
    ['upper-case hex', 'ABCDEF0123456789ABCDEF0123456789'],
    ['31 hex', '0'.repeat(31)],
    ['33 hex', '0'.repeat(33)],
    ['not hex', 'g'.repeat(32)],
    ['hex with a newline', `${'a'.repeat(32)}\n`],
    ['hex with a space', ` ${'a'.repeat(31)}`],
    ['a uuid', randomUUID()],
    ['a key pattern', '*'],
    ['empty', ''],
    ['over-long', 'a'.repeat(10_000)],
  ],
  uuid: [
    ['not a uuid', 'not-a-uuid'],
    ['a 32-hex id', hexId()],
    ['uuid with suffix', `${randomUUID()}x`],
    ['empty', ''],
    ['over-long', 'a'.repeat(10_000)],
  ],
  record: [
    ['over-long (beyond its size bound)', { pad: 'x'.repeat(40_000) }],
    ['array', [{ codecs: [] }]],
  ],
  enum: [
    ['unknown value', 'hologram'],
    ['upper case', 'AUDIO'],
    ['empty', ''],
    ['over-long', 'a'.repeat(10_000)],
  ],
  boolean: [
    ['string "true"', 'true'],
    ['number 1', 1],
  ],
  base64url: [
    ['standard base64 with padding', `${randomBytes(61).toString('base64')}+/==`],
    ['with a space', `${'A'.repeat(60)} ${'A'.repeat(30)}`],
    ['with a newline', `${'A'.repeat(90)}\n`],
    ['too short', 'AAAA'],
    ['empty', ''],
    ['over-long', 'A'.repeat(20_000)],
  ],
  percent: [
    ['negative', -1],
    ['over 100', 100.5],
    ['a numeric string', '5'],
  ],
  milliseconds: [
    ['negative', -5],
    ['over a minute', 60_001],
    ['a numeric string', '42'],
  ],
  message: [
    ['over 1000 characters', 'x'.repeat(1001)],
    ['with a control character', 'late \u0007 sorry'],
    ['with a bidi override', 'late \u202E yrros'],
    ['only spaces', '   '],
    ['empty', ''],
  ],
  copies: [
    ['none', []],
    ['a blob beyond what 1000 characters make', [{ to: 'visitor', blob: 'A'.repeat(5600) }]],
    ['a reader that is neither the visitor nor a device', [{ to: 'everyone', blob: 'A'.repeat(40) }]],
    ['two copies for one reader', [{ to: 'visitor', blob: 'A'.repeat(40) }, { to: 'visitor', blob: 'B'.repeat(40) }]],
    ['65 readers', Array.from({ length: 65 }, () => ({ to: hexId(), blob: 'A'.repeat(40) }))],
    ['an extra field', [{ to: 'visitor', blob: 'A'.repeat(40), text: 'hi' }]],
    ['not base64url', [{ to: 'visitor', blob: 'hello world, in the clear' }]],
  ],
  peerId: [
    ['unknown role', `admin:${hexId()}`],
    ['a bare id', hexId()],
    ['upper-case id', `visitor:${hexId().toUpperCase()}`],
    ['empty', ''],
    ['over-long', `visitor:${'a'.repeat(10_000)}`],
  ],
};

/** Wrong JSON types, tried on every field; those a field happens to accept are skipped. */
const WRONG_TYPES: [string, unknown][] = [
  ['null', null],
  ['number', 42],
  ['negative number', -1],
  ['string', 'x'],
  ['boolean', false],
  ['array', []],
  ['object', {}],
  ['nested object', { $gt: '' }],
];

interface Case {
  label: string;
  /** The arguments before the ack. */
  args: unknown[];
}

function shapeOf(schema: z.ZodType): Record<string, z.ZodType> {
  const shape = (schema as unknown as { shape?: Record<string, z.ZodType> }).shape;
  if (!shape) throw new Error('every request schema is expected to be a (strict) object');
  return shape;
}

function validSample(event: string, schema: z.ZodType): Record<string, unknown> {
  const sample: Record<string, unknown> = {};
  for (const field of Object.keys(shapeOf(schema))) {
    const entry = SAMPLES[field];
    if (!entry) throw new Error(`protocol.test.ts: add a sample for field '${field}' of '${event}' to SAMPLES`);
    sample[field] = entry.sample();
  }
  return sample;
}

function malformedCases(event: string, schema: z.ZodType): Case[] {
  const valid = validSample(event, schema);
  const fields = Object.keys(valid);
  const cases: Case[] = [
    { label: 'no payload at all', args: [] },
    { label: 'undefined', args: [undefined] },
    { label: 'null', args: [null] },
    { label: 'a number', args: [42] },
    { label: 'a string', args: ['{}'] },
    { label: 'a boolean', args: [true] },
    { label: 'an array', args: [[]] },
    { label: 'the valid payload in an array', args: [[valid]] },
    { label: 'binary', args: [Buffer.from(JSON.stringify(valid))] },
    { label: 'an unknown extra key', args: [{ ...valid, extra: 1 }] },
    { label: 'an extra __proto__ key', args: [{ ...valid, ...JSON.parse('{"__proto__": {"admin": true}}') }] },
    { label: 'two payloads', args: [valid, valid] },
    { label: 'a payload and a string', args: [valid, 'more'] },
  ];
  if (fields.length > 0) cases.push({ label: '{} (fields are required)', args: [{}] });
  for (const field of fields) {
    const { [field]: _omitted, ...without } = valid;
    // An optional field (queue:admit's callId) may be missing; a required one may not.
    if (!schema.safeParse(without).success) cases.push({ label: `${field} missing`, args: [without] });
    for (const [what, value] of WRONG_TYPES) {
      const payload = { ...valid, [field]: value };
      if (schema.safeParse(payload).success) continue; // e.g. {} is a valid (empty) record
      cases.push({ label: `${field} is ${what}`, args: [payload] });
    }
    for (const [what, value] of MALFORMED_BY_KIND[SAMPLES[field]!.kind]!) {
      cases.push({ label: `${field} ${what}`, args: [{ ...valid, [field]: value }] });
    }
  }
  return cases;
}

type Ns = { name: 'visitor' | 'professional'; table: EventTable; socket: () => VisitorClient | ProfessionalClient };

function expectBadRequest(ack: unknown, label: string) {
  expect(ack, label).to.be.an('object');
  const a = ack as { ok?: unknown; error?: { code?: unknown; message?: unknown } };
  expect(Object.keys(a).sort(), label).to.deep.equal(['error', 'ok']);
  expect(a.ok, label).to.equal(false);
  expect(Object.keys(a.error ?? {}).sort(), label).to.deep.equal(['code', 'message']);
  expect(a.error!.code, label).to.equal('bad_request');
  expect(a.error!.message, label).to.be.a('string').that.is.not.empty;
}

describe('socket protocol: malformed payloads get bad_request and change nothing (real server)', function () {
  let server: TestServer;
  let visitor: VisitorClient;
  let pro: ProfessionalClient;
  let snapshot: Map<string, DumpedKey>;
  let beforeAt: number;

  const namespaces: Ns[] = [
    { name: 'visitor', table: visitorEvents, socket: () => visitor },
    { name: 'professional', table: professionalEvents, socket: () => pro },
  ];

  before(async () => {
    // Presence deadlines by a clock that stands still: the heartbeat (every 5 s) rewrites the same deadline,
    // so it is no change, however long the checks below take.
    const startedAt = Date.now();
    server = await startTestServer({ now: () => startedAt });
    const org = await createOrganization(server.services);
    const visit = await joinWaitingRoom(server, org.room.slug, 'Ola Nordmann');
    // A second visitor admitted into a call, so there is call state that must not change either.
    const other = await joinWaitingRoom(server, org.room.slug, 'Kari Nordmann');
    await server.services.waitingRoom.admit((await server.services.waitingRoom.getVisitor(org.org.id, other.visitorId))!, { id: org.professional.id, role: 'professional' });
    const session = await login(server, org.professional.email, org.professional.password);
    visitor = await visitorSocket(server, visit.visitorToken);
    pro = await professionalSocket(server, session.cookie);
    await sleep(50); // let the handshakes' own writes (session renewal) settle before the snapshot
    snapshot = await dumpRedis(server.redis.client);
    beforeAt = Date.now();
    // The snapshot must hold the state the events could touch, or "nothing changed" would prove little.
    const kinds = new Set([...snapshot.keys()].map((k) => k.replace(/session:[0-9a-f]{64}$/, 'session:<hash>').replace(/[0-9a-f]{32}/g, '<id>')));
    for (const kind of ['{org:<id>}:visitor:<id>', '{org:<id>}:waiting:<id>', '{org:<id>}:call:<id>', '{org:<id>}:session:<hash>']) {
      expect([...kinds]).to.include(kind);
    }
  });
  after(async () => {
    await server?.close();
  });

  it('has a valid sample for every event, which its schema accepts (so the cases below test one fault each)', () => {
    for (const ns of namespaces) {
      for (const [event, { request }] of Object.entries(ns.table)) {
        const sample = validSample(event, request);
        expect(request.safeParse(sample).success, `${ns.name} ${event}`).to.equal(true);
        for (const c of malformedCases(event, request)) {
          if (c.args.length !== 1) continue;
          const arg = c.args[0] === undefined ? null : c.args[0]; // undefined travels as null
          expect(request.safeParse(arg).success, `${ns.name} ${event}: ${c.label} should be malformed`).to.equal(false);
        }
      }
    }
  });

  for (const ns of namespaces) {
    for (const [event, { request }] of Object.entries(ns.table)) {
      it(`${ns.name} '${event}': every malformed payload gets exactly {ok:false, error:{code:'bad_request'}}`, async () => {
        const cases = malformedCases(event, request);
        expect(cases.length).to.be.greaterThan(10);
        for (const c of cases) {
          const ack = await askRaw(ns.socket(), event, ...c.args);
          expectBadRequest(ack, `${ns.name} ${event}: ${c.label}`);
        }
        expect(ns.socket().connected).to.equal(true);
      });
    }

    it(`${ns.name}: unknown events (and the other namespace's events) with an ack get bad_request 'unknown event'`, async () => {
      const other = ns.name === 'visitor' ? professionalEvents : visitorEvents;
      const foreign = Object.keys(other).filter((e) => !Object.hasOwn(ns.table, e));
      expect(foreign.length).to.be.greaterThan(0);
      const names = [
        'nope', 'VISIT:STATUS', 'queue:list ', 'constructor', 'toString', 'hasOwnProperty', '__proto__', 'error', 'message',
        ...foreign,
      ];
      for (const name of names) {
        for (const args of [[{}], [], [{}, {}]]) {
          const ack = await askRaw(ns.socket(), name, ...args);
          expectBadRequest(ack, `${ns.name} ${name} (${args.length} args)`);
          expect((ack as { error: { message: string } }).error.message).to.equal('unknown event');
        }
      }
      expect(ns.socket().connected).to.equal(true);
    });

    it(`${ns.name}: events without an ack are ignored, even with a valid payload`, async () => {
      for (const [event, { request }] of Object.entries(ns.table)) {
        (ns.socket().emit as (e: string, ...a: unknown[]) => void)(event, validSample(event, request));
        (ns.socket().emit as (e: string, ...a: unknown[]) => void)(event, null);
      }
      // A round trip after them, so the server has seen them all before the Redis check below.
      expectBadRequest(await askRaw(ns.socket(), 'nope', {}), 'round trip');
    });
  }

  it('changed nothing in Redis (SCAN dump of keys, values and TTLs before and after)', async () => {
    // The sentinel: a round trip on each socket after everything sent above.
    await roundTrip(visitor);
    await roundTrip(pro);
    const now = await dumpRedis(server.redis.client);
    expect(diffDumps(snapshot, now, Date.now() - beforeAt)).to.deep.equal([]);
    // And the sockets still work: the visitor is still waiting.
    const status = (await askRaw(visitor, 'visit:status', {})) as { ok: boolean; visit: { state: string } };
    expect(status.ok).to.equal(true);
    expect(status.visit.state).to.equal('waiting');
  });
});
