import { expect } from 'chai';
import { keys } from '../redis/keys.ts';
import { cancelConsultation as cancelConsultationScript } from './consultation-scripts.ts';
import { storeVisitorIdentity } from '../bankid/visitor-identity.ts';
import { ask, createOrganization, postJson, startTestServer, visitorSocket, type TestOrganization, type TestServer, linkTokenOf } from '../test-support/test-server.ts';
import { cancelConsultation, scheduleConsultation } from './schedule.ts';
import type { Consultation } from './consultation-store.ts';

/*
 * A cancellation (DELETE /api/v1/consultations/{id}, or the dashboard's) racing a visitor's check-in with
 * the consultation's link. The check-in resolves the link, then puts the visitor in line: the steps are
 * called here one by one, in the order that used to leave a visitor waiting for a cancelled consultation.
 */
describe('cancelling a consultation while its visitor checks in (real server, Redis)', function () {
  this.timeout(30_000);
  let server: TestServer;
  let org: TestOrganization;

  before(async () => {
    server = await startTestServer();
    org = await createOrganization(server.services, { retentionDays: 30 });
  });
  after(async () => {
    await server?.close();
  });

  /** A consultation in the organization's room, and its link resolved as POST /api/visits does first. */
  async function resolvedLink(): Promise<{ consultation: Consultation; token: string }> {
    const s = server.services;
    const { visitorLink } = await scheduleConsultation(s, { orgId: org.org.id, roomId: org.room.id, professionalId: org.professional.id, scheduledAt: null });
    const token = linkTokenOf(visitorLink);
    const consultation = await s.consultations.resolve(token);
    expect(consultation, 'the link works before the cancellation').to.not.equal(null);
    return { consultation: consultation!, token };
  }
  const line = () => server.redis.client.zrange(keys.waiting(org.org.id, org.room.id), '0', '-1');
  const identity = { name: 'Ola Nordmann', birthDate: '1980-01-01', verifiedAt: Date.now() };

  it('a check-in that resolved the link just before the cancellation takes no one into the line', async () => {
    const s = server.services;
    const { consultation, token } = await resolvedLink();
    await cancelConsultation(s, org.org.id, consultation.id, { memberId: org.professional.id });

    const joining = await s.waitingRoom.join(org.room, { name: 'Ola Nordmann' }, Date.now(), consultation).then(
      () => null,
      (err: { code?: string }) => err,
    );
    expect(joining?.code).to.equal('not_found');
    expect(await line()).to.deep.equal([]);
    // The visitor's page then says what it says for the cancelled link itself.
    const late = await postJson(server, '/api/visits', { consultation: token, answers: { name: 'Ola Nordmann' } });
    expect(late.status).to.equal(404);
    expect((await s.consultations.get(org.org.id, consultation.id, 30 * 86_400_000))?.state).to.equal('cancelled');
  });

  it('a visitor still doing the check-in steps when it is cancelled does not enter the line after them; their page says it was cancelled', async () => {
    const s = server.services;
    const { consultation } = await resolvedLink();
    const { visitor, visitorToken } = await s.waitingRoom.join(org.room, { name: 'Ola Nordmann' }, Date.now(), consultation, ['bankid']);
    await cancelConsultation(s, org.org.id, consultation.id, { memberId: org.professional.id });
    // The BankID step finishes after the cancellation.
    await storeVisitorIdentity(s, org.org.id, visitor.id, identity);

    const socket = await visitorSocket(server, visitorToken);
    try {
      const entered = await ask(socket, 'visit:enter', {});
      expect(entered.ok && entered.visit).to.deep.equal({ state: 'ended', reason: 'cancelled' });
      expect(await line()).to.deep.equal([]);
    } finally {
      socket.disconnect();
    }
  });

  it('a cancellation that read the visitors of the consultation before a check-in landed reads them again, and takes that visitor out too', async () => {
    const s = server.services;
    const { consultation } = await resolvedLink();
    const consultationKey = keys.consultation(org.org.id, consultation.id);
    // The cancellation reads who came with the link (no one yet)...
    const readBefore = (await server.redis.client.zrange(keys.consultationVisitors(org.org.id, consultation.id), '0', '-1')).join(',');
    // ...a visitor checks in meanwhile...
    const { visitor } = await s.waitingRoom.join(org.room, { name: 'Kari Nordmann' }, Date.now(), consultation);
    expect(await line()).to.include(visitor.id);
    // ...and its step with the list it read changes nothing,
    const stale = await cancelConsultationScript.run(s.redis, {
      keys: { consultation: consultationKey, consultationVisitors: keys.consultationVisitors(org.org.id, consultation.id), presence: keys.presence(org.org.id), visitorsAndLines: [] },
      args: { now: Date.now(), visitorIdsRead: readBefore, by: `member:${org.professional.id}` },
    });
    expect(stale).to.deep.equal(['visitors_changed']);
    expect(await server.redis.client.hget(consultationKey, 'state')).to.equal('scheduled');
    // so cancelling reads again and takes the visitor out of the line.
    await cancelConsultation(s, org.org.id, consultation.id, { memberId: org.professional.id });
    expect(await line()).to.not.include(visitor.id);
    expect((await s.waitingRoom.getVisitor(org.org.id, visitor.id))?.leftReason).to.equal('cancelled');
  });

  it('entering the line checks the consultation itself, even if a cancellation did not reach the visitor', async () => {
    const s = server.services;
    const { consultation } = await resolvedLink();
    const { visitor, visitorToken } = await s.waitingRoom.join(org.room, { name: 'Per Hansen' }, Date.now(), consultation, ['bankid']);
    await storeVisitorIdentity(s, org.org.id, visitor.id, identity);
    // A cancellation that did not name this visitor (as one by a server from before they were noted in
    // the same step as the check-in, during a rolling upgrade).
    await server.redis.client.hset(keys.consultation(org.org.id, consultation.id), 'state', 'cancelled', 'cancelledAt', String(Date.now()));

    const socket = await visitorSocket(server, visitorToken);
    try {
      const entered = await ask(socket, 'visit:enter', {});
      expect(entered.ok && entered.visit).to.deep.equal({ state: 'ended', reason: 'cancelled' });
      expect(await line()).to.deep.equal([]);
    } finally {
      socket.disconnect();
    }
  });
});
