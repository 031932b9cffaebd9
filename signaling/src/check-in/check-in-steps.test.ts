import { expect } from 'chai';
import { DEFAULT_CHECK_IN, type VisitResponse } from '../../protocol/index.ts';
import { keys } from '../redis/keys.ts';
import {
  ask,
  createOrganization,
  login,
  postJson,
  professionalSocket,
  recordEvents,
  startTestServer,
  visitorSocket,
  type TestOrganization,
  type TestServer,
} from '../test-support/test-server.ts';

/*
 * A room that asks for BankID (or a payment) after the form: the visitor is known by a token but waits in
 * no line until each step is done; asking to enter early gets check_in_incomplete and changes nothing.
 */
const ARRIVED = 'queue:arrived';

describe('check-in steps before the waiting room (real server, Redis)', function () {
  let server: TestServer;
  let org: TestOrganization;
  let auth: { cookie: string; csrfToken: string };

  before(async () => {
    server = await startTestServer();
    org = await createOrganization(server.services);
    auth = await login(server, org.professional.email, org.professional.password);
    await server.services.organizations.setCheckIn(org.org.id, org.room.id, { ...DEFAULT_CHECK_IN, bankId: true });
  });
  after(async () => {
    await server?.close();
  });

  const checkIn = async (name: string) => {
    const res = await postJson(server, '/api/visits', { roomSlug: org.room.slug, answers: { name } });
    expect(res.status).to.equal(201);
    return (await res.json()) as VisitResponse;
  };

  it('a visitor who skips BankID is not in the line, nobody is told, and entering is refused until it is done', async () => {
    const pro = await professionalSocket(server, auth.cookie);
    const seen = recordEvents(pro);
    const { visitorToken, visitorId, steps } = await checkIn('Kari Nordmann');
    expect(steps).to.deep.equal(['bankid']);
    const visitorKey = keys.visitor(org.org.id, visitorId);
    const ttl = await server.redis.client.pttl(visitorKey);
    expect(ttl, 'an abandoned check-in goes within the hour').to.be.within(1, 3_600_000);

    const visitor = await visitorSocket(server, visitorToken);
    const status = await ask(visitor, 'visit:status', {});
    expect(status.ok && status.visit).to.include({ state: 'checking_in' });
    expect(status.ok && status.visit.state === 'checking_in' && status.visit.steps).to.deep.equal(['bankid']);

    // Calling the socket event directly, BankID not done.
    const early = await ask(visitor, 'visit:enter', {});
    expect(early.ok === false && early.error.code).to.equal('check_in_incomplete');
    const list = await ask(pro, 'queue:list', {});
    expect(list.ok && list.visitors.map((v) => v.visitorId)).to.not.include(visitorId);
    expect(await server.redis.client.zscore(keys.waiting(org.org.id, org.room.id), visitorId)).to.equal(null);
    expect(await server.redis.client.hget(visitorKey, 'state')).to.equal('checking_in');
    // Messages are for waiting visitors only; a visitor still checking in cannot write to the professionals.
    const message = await ask(visitor, 'messages:readers', {});
    expect(message.ok, 'no readers before waiting').to.equal(false);
    expect(seen.names()).to.not.include(ARRIVED);

    // Done (the verified identity is on their record, as the BankID callback leaves it): in line, and announced.
    await server.redis.client.hset(visitorKey, 'bankId', JSON.stringify({ name: 'Kari Nordmann', birthDate: '1980-01-02', verifiedAt: Date.now() }));
    const entered = await ask(visitor, 'visit:enter', {});
    expect(entered.ok && entered.visit.state).to.equal('waiting');
    await seen.waitFor<{ visitorId: string }>(ARRIVED, (v) => v.visitorId === visitorId);
    expect(await server.redis.client.pttl(visitorKey), 'now kept for the retention period').to.be.above(3_600_000);
    const again = await ask(visitor, 'visit:enter', {});
    expect(again.ok && again.visit.state, 'entering twice is harmless').to.equal('waiting');
    expect(await server.redis.client.zcard(keys.waiting(org.org.id, org.room.id))).to.equal(1);
    pro.disconnect();
    visitor.disconnect();
  });

  it('a visitor still checking in may leave; the professional cannot admit them', async () => {
    const { visitorToken, visitorId } = await checkIn('Ola Nordmann');
    const pro = await professionalSocket(server, auth.cookie);
    const admitted = await ask(pro, 'queue:admit', { visitorId });
    expect(admitted.ok === false && admitted.error.code).to.be.oneOf(['not_waiting', 'not_found']);
    const visitor = await visitorSocket(server, visitorToken);
    expect((await ask(visitor, 'visit:leave', {})).ok).to.equal(true);
    expect(await server.redis.client.hget(keys.visitor(org.org.id, visitorId), 'state')).to.equal('left');
    const enter = await ask(visitor, 'visit:enter', {});
    expect(enter.ok && enter.visit.state, 'gone is gone').to.equal('ended');
    pro.disconnect();
    visitor.disconnect();
  });

  it('a room without steps still takes visitors straight into the line', async () => {
    const other = await createOrganization(server.services);
    const res = await postJson(server, '/api/visits', { roomSlug: other.room.slug, answers: { name: 'Per Hansen' } });
    const body = (await res.json()) as VisitResponse;
    expect(body.steps).to.deep.equal([]);
    expect(await server.redis.client.zscore(keys.waiting(other.org.id, other.room.id), body.visitorId)).to.not.equal(null);
  });
});
