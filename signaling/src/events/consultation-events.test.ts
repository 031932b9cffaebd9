import { expect } from 'chai';
import type { ConsultationCreated, ConsultationEvent, VisitResponse } from '../../protocol/index.ts';
import { fieldContext } from '../crypto/field-cipher.ts';
import { keys } from '../redis/keys.ts';
import { sessionCookieName } from '../http/request-guards.ts';
import { eventually } from '../test-support/eventually.ts';
import { ManualClock } from '../test-support/manual-clock.ts';
import {
  addMember,
  ask,
  createOrganization,
  deviceRtpCapabilities,
  joinWaitingRoom,
  memberApi,
  postJson,
  professionalSocket,
  sessionCookieFor,
  startTestServer,
  testPublicKey,
  visitorSocket,
  type ProfessionalClient,
  type TestOrganization,
  type TestServer,
  type VisitorClient,
  linkTokenOf,
} from '../test-support/test-server.ts';

/*
 * What happens in the waiting room and the call becomes consultation events, in order, carrying the
 * consultation and its external reference but nobody's name; and the consultation's own record follows
 * (state, arrival, admission and end times, call length) for the API to answer.
 */
describe('consultation events (real server, Redis, mediasoup)', function () {
  this.timeout(30_000);
  let server: TestServer;
  let org: TestOrganization;
  let heard: ConsultationEvent[];
  /** The server's timers: a call's length and an abandoned call's grace period pass when the test says. */
  const clock = new ManualClock();
  const graceMs = 1000;

  before(async () => {
    server = await startTestServer({ clock, env: { CALL_ABANDONED_SECONDS: String(graceMs / 1000) } });
    org = await createOrganization(server.services, { retentionDays: 30 });
    heard = [];
    server.services.events.subscribe(async (e) => {
      // What the waiting room and the call report; consultation.created (on scheduling) is the API's, tested in api-v1.test.ts.
      if (e.type !== 'consultation.created') heard.push(e);
    });
  });
  after(async () => {
    await server?.close();
  });

  function heardFor(predicate: (e: ConsultationEvent) => boolean, count: number): Promise<ConsultationEvent[]> {
    return eventually(
      () => {
        const matching = heard.filter(predicate);
        expect(matching.map((e) => e.type), 'events heard').to.have.length.at.least(count);
        return matching;
      },
      { what: `${count} events`, timeoutMs: 5000, intervalMs: 25 },
    );
  }

  /** A consultation made by the professional, with the EHR's reference stored as the API stores it (sealed). */
  async function consultationWithReference(reference: string): Promise<{ id: string; token: string }> {
    const api = await memberApi(server, org.org.id, org.professional.id);
    const created = (await api.call('POST', '/api/consultations', { roomId: org.room.id })).body as ConsultationCreated;
    const sealed = server.services.fieldCipher.encrypt(reference, fieldContext.consultationField(org.org.id, created.consultationId, 'externalReference'));
    await server.redis.client.hset(keys.consultation(org.org.id, created.consultationId), 'externalReference', sealed);
    return { id: created.consultationId, token: linkTokenOf(created.visitorLink) };
  }

  async function checkIn(token: string, name: string): Promise<VisitResponse> {
    const res = await postJson(server, '/api/visits', { consultation: token, answers: { name } });
    expect(res.status).to.equal(201);
    return (await res.json()) as VisitResponse;
  }

  const cookieOf = async (proId: string) => `${sessionCookieName(false)}=${await sessionCookieFor(server, org.org.id, proId)}`;
  /** The professional admits the visitor, and both join the call's media. */
  async function admitAndJoin(pro: ProfessionalClient, visitor: VisitorClient, visitorId: string): Promise<{ callId: string }> {
    const admitted = await ask(pro, 'queue:admit', { visitorId });
    if (!admitted.ok) throw new Error(JSON.stringify(admitted));
    const caps = await deviceRtpCapabilities(server);
    for (const socket of [visitor, pro]) {
      const joined = await ask(socket, 'call:join', { callId: admitted.callId, rtpCapabilities: caps, publicKey: testPublicKey });
      if (!joined.ok) throw new Error(JSON.stringify(joined));
    }
    return { callId: admitted.callId };
  }

  /** Both connections' closing reached the server: the call's grace period runs. */
  const abandonmentStarted = () => eventually(() => expect(clock.pendingOnce).to.equal(1), { what: 'the grace period started' });

  const record = (id: string) => server.redis.client.hgetall(keys.consultation(org.org.id, id));

  it('a whole consultation: arrived, admitted, call started, call ended, in order; the record has its times and length', async () => {
    const c = await consultationWithReference('EHR-4711');
    const visit = await checkIn(c.token, 'Kari Nordmann');
    const visitor = await visitorSocket(server, visit.visitorToken);
    const [arrived] = await heardFor((e) => e.consultationId === c.id, 1);
    expect(arrived).to.deep.include({ type: 'visitor.arrived', organizationId: org.org.id, consultationId: c.id, externalReference: 'EHR-4711' });
    expect(arrived!.data).to.deep.equal({ visitorId: visit.visitorId, roomId: org.room.id });
    expect((await record(c.id)).state).to.equal('waiting');

    const pro = await professionalSocket(server, await cookieOf(org.professional.id));
    const admitted = await admitAndJoin(pro, visitor, visit.visitorId);
    await heardFor((e) => e.consultationId === c.id, 3);
    expect((await record(c.id)).state).to.equal('in_call');
    await clock.advance(1100);
    expect((await ask(pro, 'call:hang-up', { callId: admitted.callId })).ok).to.equal(true);

    const all = await heardFor((e) => e.consultationId === c.id, 4);
    expect(all.map((e) => e.type)).to.deep.equal(['visitor.arrived', 'visitor.admitted', 'call.started', 'call.ended']);
    expect(new Set(all.map((e) => e.id)).size, 'each event its own id').to.equal(4);
    expect(all.every((e) => e.externalReference === 'EHR-4711')).to.equal(true);
    const ended = all[3]!;
    expect(ended.data).to.deep.include({ callId: admitted.callId });
    expect(ended.data.durationSeconds).to.be.at.least(1);
    // No name anywhere in what EHRs hear.
    expect(JSON.stringify(all)).not.to.include('Kari');

    const r = await record(c.id);
    expect(r.state).to.equal('ended');
    expect(Number(r.arrivedAt)).to.be.at.most(Number(r.admittedAt));
    expect(Number(r.admittedAt)).to.be.at.most(Number(r.endedAt));
    expect(Number(r.callMs)).to.equal(ended.data.durationSeconds! * 1000);
    expect(r.visitorId).to.equal(visit.visitorId);
    visitor.disconnect();
    pro.disconnect();
  });

  it('leaving before an admission makes the consultation scheduled again; a denial ends it; a transfer says from where', async () => {
    const c = await consultationWithReference('EHR-1');
    const first = await checkIn(c.token, 'Per');
    const visitor = await visitorSocket(server, first.visitorToken);
    expect((await ask(visitor, 'visit:leave', {})).ok).to.equal(true);
    const [, left] = await heardFor((e) => e.consultationId === c.id, 2);
    expect(left).to.deep.include({ type: 'visitor.left' });
    expect(left!.data).to.deep.include({ visitorId: first.visitorId, reason: 'left' });
    expect((await record(c.id)).state).to.equal('scheduled');
    visitor.disconnect();

    // They come back with the same link; the professional moves them, then turns them away.
    const again = await checkIn(c.token, 'Per');
    const other = await addMember(server.services, org.org.id, { role: 'admin' });
    const pro = await professionalSocket(server, await cookieOf(org.professional.id));
    expect((await ask(pro, 'queue:transfer', { visitorId: again.visitorId, roomId: other.room.id })).ok).to.equal(true);
    const adminPro = await professionalSocket(server, await cookieOf(other.id));
    expect((await ask(adminPro, 'queue:deny', { visitorId: again.visitorId })).ok).to.equal(true);
    const all = await heardFor((e) => e.consultationId === c.id, 5);
    expect(all.map((e) => e.type)).to.deep.equal(['visitor.arrived', 'visitor.left', 'visitor.arrived', 'visitor.transferred', 'visitor.denied']);
    expect(all[3]!.data).to.deep.equal({ visitorId: again.visitorId, roomId: other.room.id, fromRoomId: org.room.id });
    const r = await record(c.id);
    expect(r.state).to.equal('ended');
    expect(r.admittedAt, 'never admitted').to.equal(undefined);
    pro.disconnect();
    adminPro.disconnect();
  });

  it('a walk-in through the room link is reported without a consultation; a cancelled consultation stays cancelled', async () => {
    const walkIn = await joinWaitingRoom(server, org.room.slug, 'Walk In');
    const [arrived] = await heardFor((e) => e.data.visitorId === walkIn.visitorId, 1);
    expect(arrived).to.deep.include({ type: 'visitor.arrived', consultationId: null, externalReference: null });

    const c = await consultationWithReference('EHR-2');
    await server.redis.client.hset(keys.consultation(org.org.id, c.id), 'state', 'cancelled');
    await server.services.events.emit(org.org.id, 'visitor.arrived', { consultationId: c.id, visitorId: walkIn.visitorId });
    expect((await record(c.id)).state).to.equal('cancelled');
    expect((await record(c.id)).arrivedAt).to.equal(undefined);
  });

  it('a call everyone left without hanging up ends after the grace period: the EHR hears it, the audit log has it', async () => {
    const c = await consultationWithReference('EHR-3');
    const visit = await checkIn(c.token, 'Lise');
    const visitor = await visitorSocket(server, visit.visitorToken);
    const pro = await professionalSocket(server, await cookieOf(org.professional.id));
    const admitted = await admitAndJoin(pro, visitor, visit.visitorId);
    // Both tabs close; nobody comes back.
    visitor.disconnect();
    pro.disconnect();
    await abandonmentStarted();
    await clock.advance(graceMs);
    const all = await heardFor((e) => e.consultationId === c.id, 4);
    expect(all.map((e) => e.type)).to.deep.equal(['visitor.arrived', 'visitor.admitted', 'call.started', 'call.ended']);
    expect((await server.services.calls.get(org.org.id, admitted.callId))?.state).to.equal('ended');
    expect((await record(c.id)).state).to.equal('ended');
    const { entries } = await server.services.audit.list(org.org.id, {});
    const end = entries.find((e) => e.action === 'call_end' && e.targetId === admitted.callId);
    expect(end?.detail).to.deep.include({ by: 'abandoned' });
  });

  it('one who comes back within the grace period keeps the call going', async () => {
    const walkIn = await joinWaitingRoom(server, org.room.slug, 'Nils');
    const visitor = await visitorSocket(server, walkIn.visitorToken);
    const cookie = await cookieOf(org.professional.id);
    const pro = await professionalSocket(server, cookie);
    const { callId } = await admitAndJoin(pro, visitor, walkIn.visitorId);
    const caps = await deviceRtpCapabilities(server);
    visitor.disconnect();
    pro.disconnect();
    await abandonmentStarted();
    // The professional's page reloads and rejoins before the grace period is over.
    const back = await professionalSocket(server, cookie);
    expect((await ask(back, 'call:join', { callId, rtpCapabilities: caps, publicKey: testPublicKey })).ok).to.equal(true);
    await clock.advance(graceMs + 500);
    expect((await server.services.calls.get(org.org.id, callId))?.state).to.equal('active');
    expect((await ask(back, 'call:hang-up', { callId })).ok).to.equal(true);
    back.disconnect();
  });
});
