import { expect } from 'chai';
import type { WaitingVisitor } from '../../protocol/index.ts';
import { sessionCookieName } from '../http/request-guards.ts';
import {
  addMember,
  ask,
  createOrganization,
  professionalSocket,
  recordEvents,
  sessionCookieFor,
  startTestServer,
  visitorSocket,
  type ProfessionalClient,
  type TestOrganization,
  type TestServer,
} from '../test-support/test-server.ts';
import { storeVisitorIdentity } from './visitor-identity.ts';
import { io, type Socket as ClientSocket } from 'socket.io-client';
import { EMBED_NAMESPACE, type EmbeddedConsultationStatus, type ProfessionalLinkRedeemed } from '../../protocol/index.ts';
import { professionalLinkHandler } from '../embedding/embedding-routes.ts';
import { askRaw, memberApi, postJson } from '../test-support/test-server.ts';
import { eventually } from '../test-support/eventually.ts';

const NATIONAL_ID = '01017012345';

/*
 * Need to know for identity: a visitor's national identity number (where the organization collects it
 * through BankID) is on no queue card, list or arrival; the professional handling the visitor asks for it
 * (`queue:identity`), every showing is in the audit log, and anyone else hears what an unknown visitor gets.
 */
describe('a visitor’s national identity number is shown on request, to the professional handling them (real server, Redis)', function () {
  this.timeout(30_000);
  let server: TestServer;
  let org: TestOrganization;
  const sockets: ProfessionalClient[] = [];

  before(async () => {
    server = await startTestServer();
    org = await createOrganization(server.services, { retentionDays: 30 });
  });
  afterEach(() => {
    for (const s of sockets.splice(0)) s.disconnect();
  });
  after(async () => {
    await server?.close();
  });

  const dashboardOf = async (memberId: string) => {
    const socket = await professionalSocket(server, `${sessionCookieName(false)}=${await sessionCookieFor(server, org.org.id, memberId)}`);
    sockets.push(socket);
    return socket;
  };

  /** A visitor of the organization's room who identified with BankID (with or without a national id on record), now waiting. */
  async function identifiedVisitor(nationalId?: string) {
    const s = server.services;
    const { visitor, visitorToken } = await s.waitingRoom.join(org.room, { name: 'Ola' }, Date.now(), undefined, ['bankid']);
    const stored = await storeVisitorIdentity(s, org.org.id, visitor.id, { name: 'Ola Nordmann', birthDate: '1970-01-01', verifiedAt: Date.now(), ...(nationalId ? { nationalId } : {}) });
    expect(stored).to.equal('ok');
    const socket = await visitorSocket(server, visitorToken);
    const entered = await ask(socket, 'visit:enter', {});
    expect(entered.ok).to.equal(true);
    return { visitorId: visitor.id, socket };
  }

  const identityShowings = async () => (await server.services.audit.list(org.org.id, { action: 'view_identity' })).entries;

  it('the queue card, the list and the arrival carry the verified mark and the name, never the number', async () => {
    const pro = await dashboardOf(org.professional.id);
    const heard = recordEvents(pro);
    const { visitorId, socket } = await identifiedVisitor(NATIONAL_ID);
    try {
      const list = await ask(pro, 'queue:list', {});
      const card = (list.ok ? list.visitors : []).find((v) => v.visitorId === visitorId);
      expect(card?.identity).to.deep.include({ name: 'Ola Nordmann', birthDate: '1970-01-01', hasNationalId: true });
      expect(JSON.stringify(list)).not.to.include(NATIONAL_ID);
      const arrival = await heard.waitFor<WaitingVisitor>('queue:arrived', (v) => v.visitorId === visitorId);
      expect(arrival.visitorId).to.equal(visitorId);
      expect(arrival.identity?.hasNationalId).to.equal(true);
      expect(JSON.stringify(heard.events)).not.to.include(NATIONAL_ID);
    } finally {
      socket.disconnect();
    }
  });

  it('the professional of the visitor’s room gets it on request, and the showing is audited; a colleague of another room hears what an unknown visitor gets', async () => {
    const { visitorId, socket } = await identifiedVisitor(NATIONAL_ID);
    const colleague = await addMember(server.services, org.org.id);
    try {
      const before = (await identityShowings()).length;
      const pro = await dashboardOf(org.professional.id);
      const shown = await ask(pro, 'queue:identity', { visitorId });
      expect(shown).to.deep.equal({ ok: true, nationalId: NATIONAL_ID });
      const showings = await identityShowings();
      expect(showings.length).to.equal(before + 1);
      expect(showings[0]).to.deep.include({ actor: org.professional.id, action: 'view_identity', targetId: visitorId });
      expect(JSON.stringify(showings[0])).not.to.include(NATIONAL_ID);

      const other = await dashboardOf(colleague.id);
      const refused = await ask(other, 'queue:identity', { visitorId });
      const unknown = await ask(other, 'queue:identity', { visitorId: 'f'.repeat(32) });
      expect(refused.ok).to.equal(false);
      expect(refused).to.deep.equal(unknown);
      // Bad input: a coded error, nothing shown, nothing audited.
      const bad = await ask(pro, 'queue:identity', { visitorId: 'x' } as never);
      expect(bad.ok === false && bad.error.code).to.equal('bad_request');
      expect((await identityShowings()).length, 'only the one showing').to.equal(before + 1);
      // The visitor's own copy of their data (an admin's export, audited as such) still has it.
      const admin = await memberApi(server, org.org.id, (await addMember(server.services, org.org.id, { role: 'admin' })).id);
      const exported = await admin.call('GET', `/api/admin/visitors/${visitorId}/export`);
      expect(exported.body.visitor.identity).to.deep.include({ name: 'Ola Nordmann', nationalId: NATIONAL_ID });
    } finally {
      socket.disconnect();
    }
  });

  it('no number on record looks the same as a visitor one may not see', async () => {
    const { visitorId, socket } = await identifiedVisitor();
    try {
      const pro = await dashboardOf(org.professional.id);
      const none = await ask(pro, 'queue:identity', { visitorId });
      const unknown = await ask(pro, 'queue:identity', { visitorId: 'f'.repeat(32) });
      expect(none.ok).to.equal(false);
      expect(none).to.deep.equal(unknown);
    } finally {
      socket.disconnect();
    }
  });

  it('in a call, only the professionals in that call get it: not an admin outside it', async () => {
    const { visitorId, socket } = await identifiedVisitor(NATIONAL_ID);
    const admin = await addMember(server.services, org.org.id, { role: 'admin' });
    try {
      const pro = await dashboardOf(org.professional.id);
      const adminDashboard = await dashboardOf(admin.id);
      // While the visitor waits, an admin (who may admit anyone) may ask; once they are in a call, not.
      expect((await ask(adminDashboard, 'queue:identity', { visitorId })).ok).to.equal(true);
      const admitted = await ask(pro, 'queue:admit', { visitorId });
      expect(admitted.ok).to.equal(true);
      expect(await ask(pro, 'queue:identity', { visitorId })).to.deep.equal({ ok: true, nationalId: NATIONAL_ID });
      const outside = await ask(adminDashboard, 'queue:identity', { visitorId });
      expect(outside).to.deep.equal(await ask(adminDashboard, 'queue:identity', { visitorId: 'f'.repeat(32) }));
    } finally {
      socket.disconnect();
    }
  });

  it('the embedded view (an EHR’s iframe) gets its consultation’s visitor’s number on request, audited; the card there has none', async () => {
    const s = server.services;
    const { consultation } = await s.consultations.create({ orgId: org.org.id, roomId: org.room.id, professionalId: org.professional.id, scheduledAt: null }, 86_400_000);
    const { visitor, visitorToken } = await s.waitingRoom.join(org.room, { name: 'Ola' }, Date.now(), consultation, ['bankid']);
    await storeVisitorIdentity(s, org.org.id, visitor.id, { name: 'Ola Nordmann', birthDate: '1970-01-01', verifiedAt: Date.now(), nationalId: NATIONAL_ID });
    const visitorClient = await visitorSocket(server, visitorToken);
    expect((await ask(visitorClient, 'visit:enter', {})).ok).to.equal(true);
    // (The embedded view finds its visitor through the arrival event.)
    await eventually(async () => !!(await server.redis.client.hget(`{org:${org.org.id}}:consultation:${consultation.id}`, 'visitorId')), { what: 'the consultation knows its visitor' });
    const link = await professionalLinkHandler(s, org.org.id, consultation.id, { professionalId: org.professional.id });
    const redeemed = (await (await postJson(server, '/api/professional-links/redeem', { token: /#link=(.+)$/.exec(link.url)![1] })).json()) as ProfessionalLinkRedeemed;
    const socket: ClientSocket = io(`${server.url}${EMBED_NAMESPACE}`, { transports: ['websocket'], extraHeaders: { origin: server.origin }, auth: { token: redeemed.embedToken }, reconnection: false, forceNew: true });
    try {
      await new Promise((resolve, reject) => {
        socket.once('connect', () => resolve(undefined));
        socket.once('connect_error', reject);
      });
      const status = (await askRaw(socket, 'consultation:status', {})) as EmbeddedConsultationStatus;
      expect(status.visitor?.identity).to.deep.include({ name: 'Ola Nordmann', hasNationalId: true });
      expect(JSON.stringify(status)).not.to.include(NATIONAL_ID);
      const before = (await identityShowings()).length;
      expect(await askRaw(socket, 'consultation:identity', {})).to.deep.equal({ ok: true, nationalId: NATIONAL_ID });
      const [entry] = await identityShowings();
      expect(entry).to.deep.include({ actor: org.professional.id, action: 'view_identity', targetId: visitor.id });
      expect((await identityShowings()).length).to.equal(before + 1);
    } finally {
      socket.disconnect();
      visitorClient.disconnect();
    }
  });
});
