import { expect } from 'chai';
import type { RoomInfo, VisitResponse } from '../../protocol/index.ts';
import { keys } from '../redis/keys.ts';
import { ask, createOrganization, linkTokenOf, lookUpConsultationLink, postJson, professionalSocket, sessionCookieFor, startTestServer, visitorSocket, type TestOrganization, type TestServer } from '../test-support/test-server.ts';
import { sessionCookieName } from '../http/request-guards.ts';
import { cancelConsultation, scheduleConsultation } from './schedule.ts';

/*
 * A consultation's link is for one visitor at a time: while someone who came with it is checking in,
 * waiting or in the call, another check-in with it is refused (and changes nothing); once the
 * consultation is over (its call ended, or it was cancelled) the link says so instead of checking anyone in.
 */
describe('a consultation link admits one visitor at a time, and ends with its consultation (real server, Redis)', function () {
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

  async function newLink(): Promise<{ id: string; token: string }> {
    const { consultation, visitorLink } = await scheduleConsultation(server.services, { orgId: org.org.id, roomId: org.room.id, professionalId: org.professional.id, scheduledAt: null });
    return { id: consultation.id, token: linkTokenOf(visitorLink) };
  }
  const checkIn = (token: string, name: string) => postJson(server, '/api/visits', { consultation: token, answers: { name } });
  const linkInfo = async (token: string) => {
    const res = await lookUpConsultationLink(server, token);
    return { status: res.status, body: (await res.json()) as RoomInfo & { code?: string } };
  };
  const codeOf = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;
  const line = () => server.redis.client.zrange(keys.waiting(org.org.id, org.room.id), '0', '-1');
  const visitorsOf = (id: string) => server.redis.client.zrange(keys.consultationVisitors(org.org.id, id), '0', '-1');

  it('a second check-in while the first visitor waits is refused with link_in_use and changes nothing; after they leave, the link works again', async () => {
    const link = await newLink();
    expect((await linkInfo(link.token)).body.linkState).to.equal('open');
    const first = await checkIn(link.token, 'Kari Nordmann');
    expect(first.status).to.equal(201);
    const visit = (await first.json()) as VisitResponse;
    expect((await linkInfo(link.token)).body.linkState).to.equal('in_use');

    const second = await checkIn(link.token, 'Someone Else');
    expect(second.status).to.equal(409);
    expect(await codeOf(second)).to.equal('link_in_use');
    expect(await line()).to.deep.equal([visit.visitorId]);
    expect(await visitorsOf(link.id)).to.deep.equal([visit.visitorId]);

    // The visitor leaves the line before being admitted: the link is theirs to use again (they may come back).
    const socket = await visitorSocket(server, visit.visitorToken);
    expect((await ask(socket, 'visit:leave', {})).ok).to.equal(true);
    socket.disconnect();
    expect((await linkInfo(link.token)).body.linkState).to.equal('open');
    const again = await checkIn(link.token, 'Kari Nordmann');
    expect(again.status).to.equal(201);
  });

  it('a visitor still doing the check-in steps holds the link too', async () => {
    const link = await newLink();
    const s = server.services;
    const consultation = (await s.consultations.resolve(link.token))!;
    await s.waitingRoom.join(org.room, { name: 'Kari Nordmann' }, Date.now(), consultation, ['bankid']);
    const second = await checkIn(link.token, 'Someone Else');
    expect(second.status).to.equal(409);
    expect(await codeOf(second)).to.equal('link_in_use');
  });

  it('ten check-ins at once with one link give exactly one visitor', async () => {
    const link = await newLink();
    const before = await line();
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => checkIn(link.token, `Visitor ${i}`)));
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses).to.deep.equal([201, 409, 409, 409, 409, 409, 409, 409, 409, 409]);
    const codes = await Promise.all(answers.filter((r) => r.status === 409).map(codeOf));
    expect(new Set(codes)).to.deep.equal(new Set(['link_in_use']));
    const winner = (await answers.find((r) => r.status === 201)!.json()) as VisitResponse;
    expect(await visitorsOf(link.id)).to.deep.equal([winner.visitorId]);
    expect((await line()).filter((v) => !before.includes(v))).to.deep.equal([winner.visitorId]);
  });

  it('once the call has ended, the link says the consultation ended and checks no one in', async () => {
    const link = await newLink();
    const visit = (await (await checkIn(link.token, 'Kari Nordmann')).json()) as VisitResponse;
    const visitor = await visitorSocket(server, visit.visitorToken);
    const pro = await professionalSocket(server, `${sessionCookieName(false)}=${await sessionCookieFor(server, org.org.id, org.professional.id)}`);
    try {
      const admitted = await ask(pro, 'queue:admit', { visitorId: visit.visitorId });
      if (!admitted.ok) throw new Error(JSON.stringify(admitted));
      expect((await checkIn(link.token, 'Someone Else')).status, 'during the call').to.equal(409);
      expect((await linkInfo(link.token)).body.linkState).to.equal('in_use');
      expect((await ask(pro, 'call:hang-up', { callId: admitted.callId })).ok).to.equal(true);
    } finally {
      visitor.disconnect();
      pro.disconnect();
    }
    expect((await linkInfo(link.token)).body.linkState).to.equal('ended');
    const late = await checkIn(link.token, 'Kari Nordmann');
    expect(late.status).to.equal(409);
    expect(await codeOf(late)).to.equal('consultation_closed');
    expect(await visitorsOf(link.id)).to.deep.equal([visit.visitorId]);
  });

  it('a cancelled consultation’s link says it was cancelled (and still checks no one in)', async () => {
    const link = await newLink();
    await cancelConsultation(server.services, org.org.id, link.id, { memberId: org.professional.id });
    const info = await linkInfo(link.token);
    expect(info.status).to.equal(200);
    expect(info.body.linkState).to.equal('cancelled');
    expect((await checkIn(link.token, 'Kari Nordmann')).status).to.be.oneOf([404, 409]);
    expect(await visitorsOf(link.id)).to.deep.equal([]);
    // A link that never was still looks like any unknown one.
    expect((await linkInfo(`${org.org.id}.${'0'.repeat(32)}.${'A'.repeat(43)}`)).status).to.equal(404);
  });
});
