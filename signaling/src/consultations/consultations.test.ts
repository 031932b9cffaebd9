import { expect } from 'chai';
import { DEFAULT_CHECK_IN, type ConsultationCreated, type VisitResponse, type WaitingVisitor } from '../../protocol/index.ts';
import {
  addMember,
  ask,
  createOrganization,
  login,
  postJson,
  professionalSocket,
  startTestServer,
  visitorSocket,
  type TestOrganization,
  type TestServer,
  linkTokenOf,
  lookUpConsultationLink,
} from '../test-support/test-server.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/*
 * Scheduled consultations: a professional makes a private link (256-bit secret) for one visitor, to one of
 * their rooms, at a time; a visitor arriving early is told when their appointment is, and the professional's
 * list shows it. Its data is kept for the retention period from the later of its creation and its time.
 */
describe('scheduled consultations (real server, Redis)', function () {
  let server: TestServer;
  let org: TestOrganization;
  let auth: { cookie: string; csrfToken: string };

  const create = (body: unknown, a = auth) => postJson(server, '/api/consultations', body, { cookie: a.cookie, 'x-csrf-token': a.csrfToken });

  before(async () => {
    server = await startTestServer();
    org = await createOrganization(server.services, { retentionDays: 30 });
    auth = await login(server, org.professional.email, org.professional.password);
  });
  after(async () => {
    await server?.close();
  });

  it('makes a private link for a room of the professional, at a time; others’ rooms, bad times and strangers are refused', async () => {
    const at = Date.now() + 3 * HOUR;
    const res = await create({ roomId: org.room.id, scheduledAt: at });
    expect(res.status).to.equal(201);
    const created = (await res.json()) as ConsultationCreated;
    expect(created.scheduledAt).to.equal(at);
    // The secret in the fragment, which browsers send to no server (no log, proxy or Referer sees it).
    expect(created.visitorLink).to.match(new RegExp(`^${server.origin}/c/${org.org.id}\\.[0-9a-f]{32}#[A-Za-z0-9_-]{43}$`));
    // Kept for the retention period counted from the appointment, not from now.
    const ttl = await server.redis.client.pttl(`{org:${org.org.id}}:consultation:${created.consultationId}`);
    expect(ttl).to.be.within(30 * DAY + 3 * HOUR - 60_000, 30 * DAY + 3 * HOUR);

    const colleague = await addMember(server.services, org.org.id);
    expect((await create({ roomId: colleague.room.id })).status, "a colleague's room").to.equal(404);
    expect((await create({ roomId: (await createOrganization(server.services)).room.id })).status, 'another organization').to.equal(404);
    expect((await create({ roomId: org.room.id, scheduledAt: Date.now() + 400 * DAY })).status, 'beyond a year').to.equal(400);
    expect((await create({ roomId: org.room.id, scheduledAt: 'tomorrow' })).status, 'not a time').to.equal(400);
    expect((await postJson(server, '/api/consultations', { roomId: org.room.id })).status, 'not logged in').to.equal(401);
  });

  it('the link shows the visitor when they are expected, checks them in, and the professional sees the time; a wrong link is like any unknown one', async () => {
    const at = Date.now() + 2 * HOUR;
    const created = (await (await create({ roomId: org.room.id, scheduledAt: at })).json()) as ConsultationCreated;
    const token = linkTokenOf(created.visitorLink);
    expect((await fetch(created.visitorLink)).status).to.equal(200);
    expect((await fetch(`${server.url}/c/${token}`)).status, 'a link of the old form (secret in the path) still opens').to.equal(200);
    expect((await fetch(`${server.url}/c/nonsense`)).status, 'not a link').to.equal(404);
    const info = await (await lookUpConsultationLink(server, token)).json();
    expect(info).to.deep.equal({ name: org.room.name, professionalName: org.professional.name, appointmentAt: at, timeZone: 'Europe/Oslo', checkIn: DEFAULT_CHECK_IN, price: null, linkState: 'open', privacyPage: `/privacy/${org.org.id}` });

    const tampered = `${token.slice(0, -4)}AAAA`;
    for (const bad of [tampered, 'nonsense', `${org.org.id}.${created.consultationId}.short`]) {
      expect((await lookUpConsultationLink(server, bad)).status, bad).to.equal(404);
      expect((await postJson(server, '/api/visits', { consultation: bad, answers: { name: 'Mallory' } })).status, bad).to.be.oneOf([400, 404]);
    }

    const checkIn = await postJson(server, '/api/visits', { consultation: token, answers: { name: 'Ola Nordmann' } });
    expect(checkIn.status).to.equal(201);
    const visit = (await checkIn.json()) as VisitResponse;
    const socket = await visitorSocket(server, visit.visitorToken);
    const status = await ask(socket, 'visit:status', {});
    expect(status.ok && status.visit).to.deep.include({ state: 'waiting', appointmentAt: at });
    const pro = await professionalSocket(server, auth.cookie);
    const list = await ask(pro, 'queue:list', {});
    const row = list.ok && list.visitors.find((v: WaitingVisitor) => v.visitorId === visit.visitorId);
    expect(row).to.deep.include({ name: 'Ola Nordmann', appointmentAt: at, roomId: org.room.id });
    // The visitor's data, too, lives for the retention period from the appointment.
    const ttl = await server.redis.client.pttl(`{org:${org.org.id}}:visitor:${visit.visitorId}`);
    expect(ttl).to.be.greaterThan(30 * DAY + 2 * HOUR - 60_000);
    socket.disconnect();
    pro.disconnect();
  });
});
