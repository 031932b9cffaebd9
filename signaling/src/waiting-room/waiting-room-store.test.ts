import { randomBytes } from 'node:crypto';
import { FieldCipher } from '../crypto/field-cipher.ts';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { startRedis, type TestRedis } from '../test-support/redis-server.ts';
import { allKeysWithTtl } from '../test-support/redis-keys.ts';
import { connectRedis } from '../redis/connection.ts';
import { PERMANENT_KEY_PATTERNS } from '../redis/keys.ts';
import { OrganizationStore, type Room } from '../organizations/organization-store.ts';
import { WaitingRoomStore } from './waiting-room-store.ts';
import { CallStore } from '../calls/call-store.ts';
import { AppError } from '../errors.ts';

const DAY = 86_400_000;

const cipher = new FieldCipher([{ id: 't1', key: randomBytes(32) }]);

describe('waiting room model (real Redis)', function () {
  let redisServer: TestRedis;
  let redis: Redis;
  let orgs: OrganizationStore;
  let waiting: WaitingRoomStore;
  let calls: CallStore;
  let room: Room;
  let proId: string;
  /** The room's professional, as admissions see them. */
  let pro: { id: string; role: 'professional' };

  before(async () => {
    redisServer = await startRedis();
    redis = connectRedis(redisServer.url);
    orgs = new OrganizationStore(redis, cipher, 'x'.repeat(32));
    waiting = new WaitingRoomStore(redis, cipher);
    calls = new CallStore(redis);
  });
  after(async () => {
    redis.disconnect();
    await redisServer.stop();
  });
  beforeEach(async () => {
    await redis.flushall();
    const org = await orgs.createOrganization('Clinic', { days: 30 });
    const member = await orgs.createProfessional(org.id, { name: 'Dr A', email: 'a@example.com', passwordHash: 'x' });
    proId = member.id;
    pro = { id: member.id, role: 'professional' };
    room = await orgs.createRoom(org.id, { slug: 'dr-a', name: 'Dr A', professionalId: member.id });
  });

  async function codeOf(p: Promise<unknown>): Promise<string> {
    try {
      await p;
      return 'ok';
    } catch (error) {
      if (error instanceof AppError) return error.code;
      throw error;
    }
  }

  it('join puts the visitor at the end of the room list and the token resumes the visit', async () => {
    const first = await waiting.join(room, { name: 'Ola' }, 1000 + Date.now());
    const second = await waiting.join(room, { name: 'Kari' }, 2000 + Date.now());
    const list = await waiting.listWaiting(room.orgId, [room], 30 * DAY, Date.now() + 3000);
    expect(list.map((v) => v.name)).to.deep.equal(['Ola', 'Kari']);
    const resumed = await waiting.authenticate(second.visitorToken);
    expect(resumed?.id).to.equal(second.visitor.id);
    expect(resumed?.state).to.equal('waiting');
    expect(first.visitorToken.split('.')[2]).to.have.length(43); // 256 bits, base64url
  });

  it('refuses malformed, forged and foreign tokens', async () => {
    const { visitorToken } = await waiting.join(room, { name: 'Ola' });
    const [org, vid, secret] = visitorToken.split('.') as [string, string, string];
    const flipped = secret.slice(0, -1) + (secret.endsWith('A') ? 'B' : 'A');
    for (const bad of [undefined, 42, '', 'x.y.z', `${org}.${vid}.${flipped}`, `${org}.${'0'.repeat(32)}.${secret}`, visitorToken + 'x']) {
      expect(await waiting.authenticate(bad), String(bad)).to.equal(null);
    }
    // Only the hash of the secret is stored.
    const stored = JSON.stringify(await redis.hgetall(`{org:${org}}:visitor:${vid}`));
    expect(stored).not.to.contain(secret);
  });

  it('admit moves the visitor into a call; leave and admit of a gone visitor are refused', async () => {
    const a = await waiting.join(room, { name: 'Ola' });
    const b = await waiting.join(room, { name: 'Kari' });
    const { callId, lineNow } = await waiting.admit(a.visitor, pro);
    expect(lineNow.line, 'the line after it, for the others').to.deep.equal([b.visitor.id]);
    expect((await waiting.getVisitor(room.orgId, a.visitor.id))?.state).to.equal('in_call');
    const call = await calls.get(room.orgId, callId);
    expect(call).to.include({ visitorId: a.visitor.id, professionalId: proId, state: 'active', roomId: room.id });
    expect((await waiting.listWaiting(room.orgId, [room], 30 * DAY)).map((v) => v.visitorId)).to.deep.equal([b.visitor.id]);

    await waiting.leave(b.visitor);
    expect(await codeOf(waiting.admit(b.visitor, pro))).to.equal('not_waiting');
    expect(await codeOf(waiting.admit(a.visitor, pro))).to.equal('already_admitted');
    expect(await codeOf(waiting.leave(b.visitor))).to.equal('not_waiting');
    expect(await codeOf(waiting.admit({ ...a.visitor, id: '0'.repeat(32) }, pro))).to.equal('not_found');
    expect(await waiting.listWaiting(room.orgId, [room], 30 * DAY)).to.deep.equal([]);
  });

  it('admits only for a member of the visitor’s room (admins: any room), and only in the room the visitor is in now', async () => {
    const a = await waiting.join(room, { name: 'Ola' });
    const outsider = await orgs.createProfessional(room.orgId, { name: 'Dr B', email: 'b@example.com', passwordHash: 'x' });
    expect(await codeOf(waiting.admit(a.visitor, { id: outsider.id, role: 'professional' })), 'not in the room').to.equal('not_found');
    const other = await orgs.createRoom(room.orgId, { slug: 'dr-b', name: 'Dr B', professionalId: outsider.id });
    await waiting.transfer(a.visitor, other.id);
    expect(await codeOf(waiting.admit(a.visitor, pro)), 'moved away meanwhile').to.equal('not_found');
    expect((await waiting.getVisitor(room.orgId, a.visitor.id))?.state, 'nothing changed').to.equal('waiting');
    const moved = (await waiting.getVisitor(room.orgId, a.visitor.id))!;
    const { lineNow } = await waiting.admit(moved, { id: proId, role: 'admin' });
    expect(lineNow, 'an admin may; no one else waits there').to.deep.equal({ line: [], lengths: [], professionals: 1 });
  });

  it('ending a call ends it once, records its length, and lists it in the history', async () => {
    const a = await waiting.join(room, { name: 'Ola' });
    const t0 = Date.now();
    const { callId } = await waiting.admit(a.visitor, pro, t0);
    const call = (await calls.get(room.orgId, callId))!;
    await calls.end(call, t0 + 61_000);
    expect(await codeOf(calls.end(call))).to.equal('call_ended');
    expect((await waiting.getVisitor(room.orgId, a.visitor.id))?.state).to.equal('ended');
    const history = await calls.history(room.orgId, proId, 30 * DAY, async () => ({ visitorName: 'Ola', roomName: 'Dr A' }), t0 + 62_000);
    expect(history).to.have.length(1);
    expect(history[0]).to.include({ callId, lengthSeconds: 61, startedAt: t0 });
  });

  it('gives every visitor and call key a TTL no longer than the organization retention', async () => {
    const a = await waiting.join(room, { name: 'Ola' });
    const b = await waiting.join(room, { name: 'Kari' });
    await waiting.join(room, { name: 'Per' });
    const { callId } = await waiting.admit(a.visitor, pro);
    await calls.end((await calls.get(room.orgId, callId))!);
    await waiting.leave(b.visitor);

    const all = await allKeysWithTtl(redis);
    const kinds = new Set<string>();
    for (const [key, ttl] of all) {
      if (PERMANENT_KEY_PATTERNS.some((p) => p.test(key))) continue;
      kinds.add(key.replace(/[0-9a-f]{32}/g, '<id>'));
      expect(ttl, key).to.be.greaterThan(0);
      expect(ttl, key).to.be.at.most(30 * DAY);
    }
    // The test must have seen each kind of key it claims to check.
    expect([...kinds].sort()).to.deep.equal(
      ['{org:<id>}:call:<id>', '{org:<id>}:call-lengths:<id>', '{org:<id>}:call-members:<id>', '{org:<id>}:history:<id>', '{org:<id>}:visitor:<id>', '{org:<id>}:visitor-calls:<id>', '{org:<id>}:visitors', '{org:<id>}:waiting:<id>'].sort(),
    );
  });

  it('index entries never outlive their visitor: expired members are trimmed', async () => {
    const old = await waiting.join(room, { name: 'Ola' }, Date.now() - 31 * DAY);
    await redis.del(`{org:${room.orgId}}:visitor:${old.visitor.id}`); // what its TTL would have done
    const fresh = await waiting.join(room, { name: 'Kari' });
    const members = await redis.zrange(`{org:${room.orgId}}:waiting:${room.id}`, '0', '-1');
    expect(members).to.deep.equal([fresh.visitor.id]);
  });

  it('of many concurrent admits of one visitor, exactly one succeeds', async () => {
    const a = await waiting.join(room, { name: 'Ola' });
    const others = Array.from({ length: 4 }, () => connectRedis(redisServer.url));
    try {
      const stores = [waiting, ...others.map((r) => new WaitingRoomStore(r, cipher))];
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => codeOf(stores[i % stores.length]!.admit(a.visitor, pro))),
      );
      expect(results.filter((r) => r === 'ok')).to.have.length(1);
      expect(results.filter((r) => r === 'already_admitted')).to.have.length(49);
      expect(await redis.keys(`{org:${room.orgId}}:call:*`)).to.have.length(1);
    } finally {
      for (const r of others) r.disconnect();
    }
  });
});
