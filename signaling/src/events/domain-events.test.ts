import { expect } from 'chai';
import {
  addMember,
  ask,
  callInProgress,
  createOrganization,
  deviceRtpCapabilities,
  disconnected,
  joinWaitingRoom,
  linkTokenOf,
  login,
  memberApi,
  postJson,
  professionalSocket,
  startTestServer,
  testPublicKey,
  visitorSocket,
  type ProfessionalClient,
  type TestOrganization,
  type TestServer,
} from '../test-support/test-server.ts';
import type { Room } from '../organizations/organization-store.ts';
import type { QueuePlace } from '../../protocol/index.ts';
import { scheduleConsultation } from '../consultations/schedule.ts';
import { eventually } from '../test-support/eventually.ts';
import { domainEventTypes, type DomainEventType } from './domain-events.ts';

/*
 * Each state change of a visit and its call is published exactly once, after it is stored, and a change
 * refused (bad input, unknown visitor, a visitor no longer there) publishes nothing: the subscribers (the
 * browsers, the audit log, the webhook outbox, the payment) act once per change, never on what did not happen.
 */
describe('domain events: one per state change, none for a refused one (real server, Redis, mediasoup)', function () {
  this.timeout(30_000);
  let server: TestServer;
  let org: TestOrganization;
  let other: Room;
  let pro: ProfessionalClient;
  let published: { type: DomainEventType; visitorId?: string }[] = [];

  const code = (res: { ok: boolean; error?: { code: string } }) => (res.ok ? 'ok' : res.error!.code);
  const types = () => published.map((e) => e.type);
  /** Waits until `n` events were published (a publication in the background: a sweep), at most 10 s. */
  async function publishedCount(n: number): Promise<void> {
    for (const until = Date.now() + 10_000; published.length < n; ) {
      if (Date.now() > until) throw new Error(`expected ${n} events, heard ${JSON.stringify(types())}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  before(async () => {
    server = await startTestServer({ env: { VISITOR_GRACE_SECONDS: '1' } });
    org = await createOrganization(server.services, { name: 'Fjord Clinic' });
    const berg = await addMember(server.services, org.org.id, { name: 'Dr. Berg' });
    other = await server.services.organizations.createRoom(org.org.id, { slug: 'fjord-desk', name: 'Reception', kind: 'shared', members: [berg.id, org.professional.id] });
    pro = await professionalSocket(server, (await login(server, org.professional.email, org.professional.password)).cookie);
    for (const type of domainEventTypes) {
      server.services.domainEvents.on(type, 'test', (e) => void published.push({ type, visitorId: 'visitor' in e ? e.visitor.id : 'visitorId' in e ? e.visitorId : undefined }), 'record');
    }
  });
  beforeEach(() => {
    published = [];
  });
  after(async () => {
    await server?.close();
  });

  it('a check-in publishes one arrival; a refused check-in publishes nothing', async () => {
    expect((await postJson(server, '/api/visits', { roomSlug: org.room.slug, answers: { name: '' } })).status).to.equal(400);
    expect((await postJson(server, '/api/visits', { roomSlug: 'no-such-room', answers: { name: 'Ola' } })).status).to.equal(404);
    expect(types()).to.deep.equal([]);
    const visit = await joinWaitingRoom(server, org.room.slug, 'Ola Nordmann');
    expect(published).to.deep.equal([{ type: 'visitor.arrived', visitorId: visit.visitorId }]);
  });

  it('leaving the line publishes one departure; leaving again publishes nothing', async () => {
    const visit = await joinWaitingRoom(server, org.room.slug, 'Kari Nordmann');
    const socket = await visitorSocket(server, visit.visitorToken);
    published = [];
    expect(code(await ask(socket, 'visit:leave', {}))).to.equal('ok');
    expect(code(await ask(socket, 'visit:leave', {}))).to.not.equal('ok');
    expect(published).to.deep.equal([{ type: 'visitor.left', visitorId: visit.visitorId }]);
  });

  it('a connection lost past the grace period publishes one departure', async () => {
    const visit = await joinWaitingRoom(server, org.room.slug, 'Per Hansen');
    const socket = await visitorSocket(server, visit.visitorToken);
    published = [];
    const gone = disconnected(socket);
    socket.disconnect();
    await gone;
    await publishedCount(1);
    // The sweep runs every second: a second pass finds nobody to drop.
    await new Promise((r) => setTimeout(r, 1500));
    expect(published).to.deep.equal([{ type: 'visitor.left', visitorId: visit.visitorId }]);
  });

  it('turning a visitor away publishes one denial; bad input and a second denial publish nothing', async () => {
    const visit = await joinWaitingRoom(server, org.room.slug, 'Siri Dahl');
    published = [];
    expect(code(await ask(pro, 'queue:deny', { visitorId: visit.visitorId, message: 'x'.repeat(1001) }))).to.equal('bad_request');
    expect(code(await ask(pro, 'queue:deny', { visitorId: visit.visitorId }))).to.equal('ok');
    expect(code(await ask(pro, 'queue:deny', { visitorId: visit.visitorId }))).to.not.equal('ok');
    expect(published).to.deep.equal([{ type: 'visitor.denied', visitorId: visit.visitorId }]);
  });

  it('moving a visitor publishes one transfer; to the room they are in, or an unknown one, nothing', async () => {
    const visit = await joinWaitingRoom(server, org.room.slug, 'Liv Berg');
    published = [];
    expect(code(await ask(pro, 'queue:transfer', { visitorId: visit.visitorId, roomId: org.room.id }))).to.equal('bad_request');
    expect(code(await ask(pro, 'queue:transfer', { visitorId: visit.visitorId, roomId: 'f'.repeat(32) }))).to.equal('not_found');
    expect(code(await ask(pro, 'queue:transfer', { visitorId: visit.visitorId, roomId: other.id }))).to.equal('ok');
    expect(published).to.deep.equal([{ type: 'visitor.transferred', visitorId: visit.visitorId }]);
  });

  it('an admission publishes the admission and the call start, once each; a second admission nothing', async () => {
    const visit = await joinWaitingRoom(server, org.room.slug, 'Nils Lie');
    published = [];
    const admitted = await ask(pro, 'queue:admit', { visitorId: visit.visitorId });
    expect(code(admitted)).to.equal('ok');
    expect(code(await ask(pro, 'queue:admit', { visitorId: visit.visitorId }))).to.not.equal('ok');
    // Recorded once the visitor's join is answered, or (this visitor never joins) within a second.
    await eventually(
      () =>
        expect(published).to.deep.equal([
          { type: 'visitor.admitted', visitorId: visit.visitorId },
          { type: 'call.started', visitorId: visit.visitorId },
        ]),
      { what: 'the admission recorded' },
    );
  });

  it("an admission is answered before it is recorded; its records follow the visitor's join, before anything later in the organization", async () => {
    const visit = await joinWaitingRoom(server, org.room.slug, 'Siri Dahl');
    const socket = await visitorSocket(server, visit.visitorToken);
    published = [];
    const admitted = await ask(pro, 'queue:admit', { visitorId: visit.visitorId });
    if (!admitted.ok) throw new Error(JSON.stringify(admitted));
    expect(published, 'held back for the visitor\'s join').to.deep.equal([]);
    const joined = await ask(socket, 'call:join', { callId: admitted.callId, rtpCapabilities: await deviceRtpCapabilities(server), publicKey: testPublicKey });
    expect(code(joined)).to.equal('ok');
    await eventually(() => expect(types()).to.deep.equal(['visitor.admitted', 'call.started']), { what: "the admission recorded after the visitor's join", timeoutMs: 900 });

    // Admitted, never joined, then sent back at once: the chain still has the admission first.
    const next = await joinWaitingRoom(server, org.room.slug, 'Ola Moe');
    published = [];
    const second = await ask(pro, 'queue:admit', { visitorId: next.visitorId });
    if (!second.ok) throw new Error(JSON.stringify(second));
    expect(code(await ask(pro, 'call:hang-up', { callId: second.callId }))).to.equal('ok');
    await eventually(() => expect(types()).to.deep.equal(['visitor.admitted', 'call.started', 'call.ended']), { what: 'the admission recorded before the end' });
    socket.disconnect();
  });

  it('a send-back publishes one; the end of the call publishes one end; ending it again nothing', async () => {
    const call = await callInProgress(server, org, 'Eva Holm');
    published = [];
    expect(code(await ask(call.pro, 'call:send-back', { callId: call.callId }))).to.equal('ok');
    expect(code(await ask(call.pro, 'call:send-back', { callId: call.callId })), 'nobody left to send back').to.not.equal('ok');
    expect(published).to.deep.equal([{ type: 'visitor.sent-back', visitorId: call.visitorId }]);
    published = [];
    expect(code(await ask(call.pro, 'call:hang-up', { callId: call.callId }))).to.equal('ok');
    expect(code(await ask(call.pro, 'call:hang-up', { callId: call.callId }))).to.not.equal('ok');
    expect(types()).to.deep.equal(['call.ended']);
  });

  it('cancelling a consultation publishes one cancellation: its waiting visitor is told, the one behind moves up; cancelling again, or an unknown one, nothing', async () => {
    // A room of its own, so that the two are the whole line.
    const room = await server.services.organizations.createRoom(org.org.id, { slug: 'fjord-scheduled', name: 'Scheduled', professionalId: org.professional.id });
    const { visitorLink, consultation: { id: consultationId } } = await scheduleConsultation(server.services, { orgId: org.org.id, roomId: room.id, professionalId: org.professional.id, scheduledAt: null });
    const ahead = await postJson(server, '/api/visits', { consultation: linkTokenOf(visitorLink), answers: { name: 'Ola Nordmann' } });
    expect(ahead.status).to.equal(201);
    const aheadVisit = (await ahead.json()) as { visitorToken: string; visitorId: string };
    const behind = await joinWaitingRoom(server, room.slug, 'Kari Nordmann');
    const aheadSocket = await visitorSocket(server, aheadVisit.visitorToken);
    const behindSocket = await visitorSocket(server, behind.visitorToken);
    const cancelledTold = new Promise<void>((resolve) => aheadSocket.once('visit:cancelled', () => resolve()));
    const behindPlace = new Promise<QueuePlace>((resolve) => behindSocket.once('visit:place', resolve));
    published = [];
    const api = await memberApi(server, org.org.id, org.professional.id);
    expect((await api.call('POST', `/api/consultations/${'f'.repeat(32)}/cancel`)).status).to.equal(404);
    expect((await api.call('POST', `/api/consultations/${consultationId}/cancel`)).status).to.be.oneOf([200, 204]);
    expect((await api.call('POST', `/api/consultations/${consultationId}/cancel`)).status).to.be.oneOf([200, 204]);
    expect(types()).to.deep.equal(['consultation.cancelled']);
    await cancelledTold;
    expect((await behindPlace).position, 'the visitor behind is now next').to.equal(1);
    behindSocket.disconnect();
    aheadSocket.disconnect();
  });

  it("a subscriber's failure is logged and neither undoes nor holds up the change, nor keeps the others from acting", async () => {
    const visit = await joinWaitingRoom(server, org.room.slug, 'Ada Vik');
    const socket = await visitorSocket(server, visit.visitorToken);
    const told = new Promise((resolve) => socket.once('visit:denied', resolve));
    server.services.domainEvents.on('visitor.denied', 'failing', () => {
      throw new Error('a subscriber that fails');
    }, 'record');
    expect(code(await ask(pro, 'queue:deny', { visitorId: visit.visitorId }))).to.equal('ok');
    expect((await server.services.waitingRoom.getVisitor(org.org.id, visit.visitorId))?.leftReason).to.equal('denied');
    // The subscribers after it acted all the same: the visitor was told, the audit entry is there.
    await told;
    const audit = await server.services.audit.list(org.org.id, { action: 'deny' });
    expect(audit.entries.map((e) => e.targetId)).to.include(visit.visitorId);
    const failures = server.logs().map((l) => JSON.parse(l) as { msg?: string; event?: string; subscriber?: string; err?: string });
    expect(failures.filter((l) => l.msg === 'a subscriber to a state change failed').map(({ event, subscriber, err }) => ({ event, subscriber, err }))).to.deep.equal([
      { event: 'visitor.denied', subscriber: 'failing', err: 'a subscriber that fails' },
    ]);
  });
});
