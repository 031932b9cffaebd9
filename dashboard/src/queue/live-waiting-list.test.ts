import { expect } from 'chai';
import type { WaitingVisitor } from '../../../signaling/protocol/index.ts';
import {
  ask,
  createOrganization,
  joinWaitingRoom,
  login,
  professionalSocket,
  recordEvents,
  startTestServer,
  visitorSocket,
  type ProfessionalClient,
  type TestOrganization,
  type TestServer,
} from '../../../signaling/src/test-support/test-server.ts';
import { LiveWaitingList } from './live-waiting-list.ts';

/*
 * A dashboard's waiting list while its list request is on its way: the server reads the list, a visitor
 * arrives (or leaves) right after, and the dashboard hears of it before the list's answer comes (the
 * answer waits for the server's other reads; an arrival on another process comes through Redis). The
 * answers are held here until the event was heard, which is the order a busy server produces.
 */
describe('the waiting list a dashboard shows, when its list answer is overtaken (real server, Redis)', function () {
  let server: TestServer;
  let org: TestOrganization;
  let dashboard: ProfessionalClient;
  let list: LiveWaitingList;

  before(async () => {
    server = await startTestServer();
    org = await createOrganization(server.services);
    dashboard = await professionalSocket(server, (await login(server, org.professional.email, org.professional.password)).cookie);
    // Wired as the dashboard wires it (use-waiting-room.ts).
    list = new LiveWaitingList();
    dashboard.on('queue:arrived', (v) => list.arrived(v));
    dashboard.on('queue:removed', ({ visitorId }) => list.gone(visitorId));
  });
  after(async () => {
    dashboard?.disconnect();
    await server?.close();
  });

  const listAnswer = async () => {
    const res = await ask(dashboard, 'queue:list', {});
    if (!res.ok) throw new Error(JSON.stringify(res));
    return res.visitors;
  };
  const shown = () => list.rows.map((r) => r.name);

  it('a visitor who arrives just after the list was read is on it once the answer comes, and can be admitted', async () => {
    const n = list.listing();
    const answer = await listAnswer();
    const heard = recordEvents(dashboard);
    const visit = await joinWaitingRoom(server, org.room.slug, 'Ola Nordmann');
    await heard.waitFor('queue:arrived', (v: WaitingVisitor) => v.visitorId === visit.visitorId);
    list.listed(n, answer);
    expect(shown(), 'the Admit button has a row to sit on').to.deep.equal(['Ola Nordmann']);
    expect(answer.map((v) => v.name), 'the answer itself was read before the arrival').to.deep.equal([]);
    const admitted = await ask(dashboard, 'queue:admit', { visitorId: visit.visitorId });
    expect(admitted.ok).to.equal(true);
    if (admitted.ok) expect(await ask(dashboard, 'call:hang-up', { callId: admitted.callId })).to.deep.include({ ok: true });
    await heard.waitFor('queue:removed', (e: { visitorId: string }) => e.visitorId === visit.visitorId);
  });

  it('a visitor who leaves just after the list was read is not shown as waiting', async () => {
    const visit = await joinWaitingRoom(server, org.room.slug, 'Kari Nordmann');
    const visitor = await visitorSocket(server, visit.visitorToken);
    const heard = recordEvents(dashboard);
    await heard.waitFor('queue:arrived', (v: WaitingVisitor) => v.visitorId === visit.visitorId);
    const n = list.listing();
    const answer = await listAnswer();
    expect(await ask(visitor, 'visit:leave', {})).to.deep.include({ ok: true });
    await heard.waitFor('queue:removed', (e: { visitorId: string }) => e.visitorId === visit.visitorId);
    list.listed(n, answer);
    expect(answer.map((v) => v.name)).to.deep.equal(['Kari Nordmann']);
    expect(shown()).to.deep.equal([]);
    visitor.disconnect();
  });

  it('an older answer overtaken by a newer request is not shown over it', async () => {
    const older = list.listing();
    const olderAnswer = await listAnswer();
    const heard = recordEvents(dashboard);
    const visit = await joinWaitingRoom(server, org.room.slug, 'Per Hansen');
    await heard.waitFor('queue:arrived', (v: WaitingVisitor) => v.visitorId === visit.visitorId);
    const newer = list.listing();
    const newerAnswer = await listAnswer();
    list.listed(newer, newerAnswer);
    list.listed(older, olderAnswer);
    expect(shown()).to.deep.equal(['Per Hansen']);
  });
});
