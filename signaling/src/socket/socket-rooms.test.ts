import { expect } from 'chai';
import { toBase64Url } from '../../../client/src/call-engine/e2ee/bytes.ts';
import { deviceIdOf } from '../../../client/src/call-engine/e2ee/device-keys.ts';
import { generateKeyPair } from '../../../client/src/call-engine/e2ee/key-exchange.ts';
import { sealMessage } from '../../../client/src/call-engine/e2ee/message-crypto.ts';
import type { ProfessionalLinkRedeemed, WaitingMessage } from '../../protocol/index.ts';
import { professionalLinkHandler } from '../embedding/embedding-routes.ts';
import {
  addMember,
  ask,
  callInProgress,
  createOrganization,
  embeddedSocket,
  joinWaitingRoom,
  memberApi,
  professionalSocket,
  recordEvents,
  redeemProfessionalLink,
  startTestServer,
  visitorSocket,
  type TestServer,
} from '../test-support/test-server.ts';
import { socketRooms } from './types.ts';

const codeOf = (res: { ok: boolean; error?: { code: string } }) => (res.ok ? 'ok' : res.error!.code);

/*
 * Who hears what is decided by Socket.IO room names. Ids that are not secret (a device id is its public
 * key's hash) must not let a member of one organization into another's rooms: every room name starts with
 * its organization.
 */
describe('socket rooms are per organization (real server, Redis, mediasoup)', function () {
  this.timeout(90_000);
  let server: TestServer;

  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server?.close();
  });

  it('a member of another organization who registers our dashboard’s device key hears none of our messages', async () => {
    const ours = await createOrganization(server.services);
    const theirs = await createOrganization(server.services);
    const pro = await professionalSocket(server, (await memberApi(server, ours.org.id, ours.professional.id)).cookie);
    const outsider = await professionalSocket(server, (await memberApi(server, theirs.org.id, theirs.professional.id)).cookie);
    const pair = await generateKeyPair();
    const device = { id: await deviceIdOf(pair.publicKey), publicKey: toBase64Url(pair.publicKey) };
    expect(codeOf(await ask(pro, 'messages:device', { deviceId: device.id, publicKey: device.publicKey }))).to.equal('ok');
    // The key is public (our visitors are given it): in their own organization they may register it.
    expect(codeOf(await ask(outsider, 'messages:device', { deviceId: device.id, publicKey: device.publicKey }))).to.equal('ok');

    const ola = await joinWaitingRoom(server, ours.room.slug, 'Ola Nordmann');
    const olaSocket = await visitorSocket(server, ola.visitorToken);
    const olaKeys = await generateKeyPair();
    expect(codeOf(await ask(olaSocket, 'messages:key', { publicKey: toBase64Url(olaKeys.publicKey) }))).to.equal('ok');
    const proHears = recordEvents(pro);
    const outsiderHears = recordEvents(outsider);
    const sent = await ask(olaSocket, 'messages:send', {
      copies: [
        { to: device.id, blob: await sealMessage(olaKeys, device.publicKey, ola.visitorId, 'visitor', device.id, 'Is it my turn soon?') },
        { to: 'visitor', blob: await sealMessage(olaKeys, toBase64Url(olaKeys.publicKey), ola.visitorId, 'visitor', 'visitor', 'Is it my turn soon?') },
      ],
    });
    expect(codeOf(sent)).to.equal('ok');
    expect((await proHears.waitFor<WaitingMessage>('messages:new')).visitorId).to.equal(ola.visitorId);
    // Anything sent to the outsider's socket before this answer would have arrived before it.
    expect(codeOf(await ask(outsider, 'queue:list', {}))).to.equal('ok');
    expect(outsiderHears.events.map((e) => e.event)).not.to.include('messages:new');
    for (const socket of [pro, outsider, olaSocket]) socket.disconnect();
  });

  it('every room name starts with its organization, and every room a socket is in (of every kind) is its organization’s', async () => {
    const orgId = '0123456789abcdef0123456789abcdef';
    for (const [name, room] of Object.entries(socketRooms)) {
      expect((room as (org: string, id: string) => string)(orgId, 'some-id'), name).to.match(new RegExp(`^org:${orgId}:`));
    }

    // Sockets of every kind, in every room they join: an admin's and a professional's dashboards (with a
    // message device), a waiting visitor, a call under way, a new room, and an embedded consultation view.
    const org = await createOrganization(server.services);
    const admin = await addMember(server.services, org.org.id, { role: 'admin' });
    const adminApi = await memberApi(server, org.org.id, admin.id);
    await professionalSocket(server, adminApi.cookie);
    const call = await callInProgress(server, org);
    const pair = await generateKeyPair();
    expect(codeOf(await ask(call.pro, 'messages:device', { deviceId: await deviceIdOf(pair.publicKey), publicKey: toBase64Url(pair.publicKey) }))).to.equal('ok');
    await visitorSocket(server, (await joinWaitingRoom(server, org.room.slug, 'Kari Nordmann')).visitorToken);
    expect((await adminApi.call('POST', '/api/admin/rooms', { name: 'Shared room', members: [org.professional.id] })).status).to.equal(201);
    const { consultation } = await server.services.consultations.create({ orgId: org.org.id, roomId: org.room.id, professionalId: org.professional.id, scheduledAt: null }, 86_400_000);
    const link = await professionalLinkHandler(server.services, org.org.id, consultation.id, { professionalId: org.professional.id });
    const { embedToken } = (await (await redeemProfessionalLink(server, /#link=(.+)$/.exec(link.url)![1]!)).json()) as ProfessionalLinkRedeemed;
    await embeddedSocket(server, embedToken);

    const { notify } = server.services;
    /** The organization a socket belongs to, whatever its kind. */
    const organizationOf = (data: { orgId?: string; session?: { orgId: string } }) => data.orgId ?? data.session?.orgId;
    const rooms: string[] = [];
    const strangers: string[] = [];
    for (const nsp of [notify.visitors, notify.professionals, notify.embeddedProfessionals!]) {
      for (const [room, sids] of nsp.adapter.rooms) {
        // Socket.IO puts each socket in a room of its own id as well: those are not ours to name.
        if (nsp.adapter.sids.has(room)) continue;
        rooms.push(room);
        const named = /^org:([0-9a-f]{32}):/.exec(room)?.[1];
        for (const sid of sids) {
          const socket = nsp.sockets.get(sid);
          if (socket && organizationOf(socket.data as object) !== named) strangers.push(`${room}: a socket of ${organizationOf(socket.data as object)}`);
        }
      }
    }
    expect(rooms.filter((room) => !/^org:[0-9a-f]{32}:/.test(room))).to.deep.equal([]);
    expect(strangers).to.deep.equal([]);
    const ours = rooms.filter((room) => room.startsWith(`org:${org.org.id}:`));
    // And the kinds this scenario was to reach are all there.
    const kinds = new Set(ours.map((room) => room.split(':')[2]));
    for (const kind of ['visitor', 'room', 'pro', 'admins', 'call', 'session', 'message-device', 'embed-consultation', 'embed-session']) expect(kinds, kind).to.include(kind);
  });
});
