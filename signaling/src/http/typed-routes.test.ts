import { expect } from 'chai';
import { memberRoutes, organizationAdminRoutes, visitorRoutes, type AnyRoute } from '../../protocol/index.ts';
import { callRoute, type CallOptions } from '../../../client/src/http/call-route.ts';
import { newId } from '../ids.ts';
import { routesOf } from '../test-support/routes.ts';
import { addMember, createOrganization, joinWaitingRoom, login, startTestServer, type TestOrganization, type TestServer } from '../test-support/test-server.ts';

/*
 * The shared HTTP route table (protocol/routes.ts) against a real server and Redis: the server answers
 * each route of the table where the table says, and the front-ends' one typed fetch (client/src/http)
 * reaches them with the table's params, body and query, and reads the answer and the refusal it declares.
 */

describe('the shared HTTP route table: the server serves it and the front-ends call it (real server, Redis)', function () {
  this.timeout(30_000);
  let server: TestServer;
  let org: TestOrganization;
  let from: CallOptions;

  before(async () => {
    server = await startTestServer();
    org = await createOrganization(server.services);
    from = { origin: server.url, headers: { origin: server.origin } };
  });
  after(async () => {
    await server?.close();
  });

  it('every route of the visitor’s, the professional’s and the admin’s tables is served at its method and path', () => {
    const served = new Set(routesOf(server.app).map((r) => `${r.method} ${r.path}`));
    const declared = ([...Object.values(visitorRoutes), ...Object.values(memberRoutes), ...Object.values(organizationAdminRoutes)] as AnyRoute[]).map((r) => `${r.method} ${r.path}`);
    expect(declared.filter((r) => !served.has(r)), 'declared but not served').to.deep.equal([]);
  });

  it('a room link: its page’s details by its slug; a made-up and a malformed slug alike are not found', async () => {
    const room = await callRoute(visitorRoutes.room, { params: { slug: org.room.slug } }, from);
    expect(room.ok && room.data.name).to.equal(org.room.name);
    for (const slug of ['no-such-room', 'Not A Slug!']) {
      const res = await callRoute(visitorRoutes.room, { params: { slug } }, from);
      expect([res.status, res.ok ? null : res.error?.code], slug).to.deep.equal([404, 'not_found']);
    }
  });

  it('check-in answers 201 with the visit’s token; a refused answer names its field and code apart', async () => {
    const ok = await callRoute(visitorRoutes.checkIn, { body: { roomSlug: org.room.slug, answers: { name: 'Kari Nordmann' } } }, from);
    expect([ok.status, ok.ok && typeof ok.data.visitorToken]).to.deep.equal([201, 'string']);
    const refused = await callRoute(visitorRoutes.checkIn, { body: { roomSlug: org.room.slug, answers: { name: '' } } }, from);
    expect(refused.ok).to.equal(false);
    if (refused.ok) return;
    expect([refused.status, refused.error?.code, refused.error?.details?.fields]).to.deep.equal([400, 'bad_request', [{ field: 'name', code: 'name_required' }]]);
  });

  it('a professional’s route: 401 without a session; with one, its answer as the table types it', async () => {
    const anonymous = await callRoute(memberRoutes.history, {}, from);
    expect([anonymous.status, anonymous.ok ? null : anonymous.error?.code]).to.deep.equal([401, 'unauthorized']);
    const { cookie } = await login(server, org.professional.email, org.professional.password);
    const history = await callRoute(memberRoutes.history, {}, { ...from, headers: { ...from.headers, cookie } });
    expect(history.ok && history.data.calls).to.deep.equal([]);
  });

  it('a visitor’s route checks the visit’s token before anything sent: without it, or with a made-up one, the route does not exist', async () => {
    const visit = await joinWaitingRoom(server, org.room.slug, 'Ola Nordmann');
    const malformed = { body: { returnTo: 42 as unknown as string } };
    const known = await callRoute(visitorRoutes.bankIdStart, malformed, { ...from, visitorToken: visit.visitorToken });
    expect([known.status, known.ok ? null : known.error?.code], 'the visitor, with a malformed body').to.deep.equal([400, 'bad_request']);
    for (const visitorToken of [undefined, `${org.org.id}.${visit.visitorId}.${'A'.repeat(43)}`]) {
      const res = await callRoute(visitorRoutes.bankIdStart, malformed, { ...from, ...(visitorToken ? { visitorToken } : {}) });
      expect([res.status, res.ok ? null : res.error?.code], visitorToken ? 'a made-up token' : 'no token').to.deep.equal([404, 'not_found']);
    }
  });

  it('a route whose path names something looks it up before reading the body: an unknown, malformed or other organization’s id is not found whatever the body holds; a known one with a bad body is a bad request', async () => {
    const admin = await addMember(server.services, org.org.id, { role: 'admin' });
    const { cookie, csrfToken } = await login(server, admin.email, admin.password);
    const asAdmin = { ...from, headers: { ...from.headers, cookie, 'x-csrf-token': csrfToken } };
    const other = await createOrganization(server.services);
    const [ours, theirs] = await Promise.all(
      [org.org.id, other.org.id].map((orgId) => server.services.webhooks.store.createEndpoint(orgId, { url: 'https://ehr.example.com/hook', events: ['visitor.arrived'] })),
    );
    const badBody = { body: { events: 'visitor.arrived' as unknown as ['visitor.arrived'] } };
    const known = await callRoute(organizationAdminRoutes.updateWebhook, { params: { id: ours!.endpoint.id }, ...badBody }, asAdmin);
    expect([known.status, known.ok ? null : known.error?.code], 'our endpoint, a bad body').to.deep.equal([400, 'bad_request']);
    for (const id of [newId(), 'not-an-id', theirs!.endpoint.id]) {
      const res = await callRoute(organizationAdminRoutes.updateWebhook, { params: { id }, ...badBody }, asAdmin);
      expect([res.status, res.ok ? null : res.error?.code], id).to.deep.equal([404, 'not_found']);
    }
    const gone = await callRoute(organizationAdminRoutes.deleteWebhook, { params: { id: ours!.endpoint.id } }, asAdmin);
    expect([gone.status, gone.ok && gone.data]).to.deep.equal([204, undefined]);
    // The same for a room (another organization's room is as unknown as a made-up one) and a member.
    const roomBadBody = { body: { name: 42 as unknown as string } };
    const ourRoom = await callRoute(organizationAdminRoutes.updateRoom, { params: { id: org.room.id }, ...roomBadBody }, asAdmin);
    expect([ourRoom.status, ourRoom.ok ? null : ourRoom.error?.code], 'our room, a bad body').to.deep.equal([400, 'bad_request']);
    for (const id of [newId(), 'not-an-id', other.room.id]) {
      const res = await callRoute(organizationAdminRoutes.updateRoom, { params: { id }, ...roomBadBody }, asAdmin);
      expect([res.status, res.ok ? null : res.error?.code], `room ${id}`).to.deep.equal([404, 'not_found']);
    }
    const theirMember = await callRoute(organizationAdminRoutes.resetPassword, { params: { id: other.professional.id } }, asAdmin);
    expect([theirMember.status, theirMember.ok ? null : theirMember.error?.code], 'another organization\'s member').to.deep.equal([404, 'not_found']);
  });
});
