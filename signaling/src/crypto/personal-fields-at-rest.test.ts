import { expect } from 'chai';
import { DEFAULT_CHECK_IN, type AccessCodeCreated } from '../../protocol/index.ts';
import { keys } from '../redis/keys.ts';
import { dumpRedis } from '../test-support/redis-dump.ts';
import { ask, createOrganization, login, memberApi, postJson, professionalSocket, startTestServer, type TestServer } from '../test-support/test-server.ts';

/*
 * Personal fields at rest: whoever reads Redis (a backup, an operator, an attacker with the dump) finds a
 * visitor's name, answers, an access code's label and a professional's message to a visitor only as
 * AES-GCM ciphertext carrying its key id; the queue card still reads them.
 */
describe('personal fields are encrypted at rest (real server, Redis)', function () {
  this.timeout(30_000);
  let server: TestServer;

  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server?.close();
  });

  it('a visitor’s name and answers, a code’s label, a denial message, members’ names and e-mail addresses: ciphertext in Redis, plain where shown', async () => {
    const org = await createOrganization(server.services);
    await server.services.organizations.setCheckIn(org.org.id, org.room.id, {
      ...DEFAULT_CHECK_IN,
      phone: { enabled: true, required: true },
      birthDate: { enabled: true, required: true },
      reason: { enabled: true, required: true },
      custom: [{ id: 'insurer1', label: 'Insurance company', kind: 'text', required: true }],
    });
    const answers = { name: 'Tordis Vangsnes', phone: '+47 987 65 432', birthDate: '1961-07-13', reason: 'Vedvarende hodepine', custom: { insurer1: 'Fjordforsikring' } };
    const res = await postJson(server, '/api/visits', { roomSlug: org.room.slug, answers });
    expect(res.status).to.equal(201);
    const { visitorId } = (await res.json()) as { visitorId: string };

    const auth = await login(server, org.professional.email, org.professional.password);
    const pro = await professionalSocket(server, auth.cookie);
    const list = await ask(pro, 'queue:list', {});
    const card = (list.ok ? list.visitors : []).find((v) => v.visitorId === visitorId);
    expect(card?.name).to.equal('Tordis Vangsnes');
    expect(card?.checkIn).to.deep.include({ phone: '+47 987 65 432', birthDate: '1961-07-13', reason: 'Vedvarende hodepine' });

    // A pseudonymous room's code, labelled by the professional.
    const other = await createOrganization(server.services);
    await server.services.organizations.setCheckIn(other.org.id, other.room.id, { ...DEFAULT_CHECK_IN, pseudonymous: true });
    const otherPro = await memberApi(server, other.org.id, other.professional.id);
    const made = await otherPro.call('POST', '/api/access-codes', { roomId: other.room.id, label: 'Gunnhild Aasen kl 14', validHours: 2 });
    const { code } = made.body as AccessCodeCreated;
    const dumpBeforeUse = JSON.stringify([...(await dumpRedis(server.redis.client))]);
    expect(dumpBeforeUse).not.to.include('Gunnhild');

    expect((await ask(pro, 'queue:deny', { visitorId, message: 'Ring legevakten på 116117' })).ok).to.equal(true);
    const checkedIn = await postJson(server, '/api/visits', { roomSlug: other.room.slug, answers: { accessCode: code } });
    expect(checkedIn.status).to.equal(201);

    const dump = await dumpRedis(server.redis.client);
    const everything = JSON.stringify([...dump]);
    for (const clear of ['Tordis', 'Vangsnes', '987 65 432', '1961-07-13', 'hodepine', 'Fjordforsikring', 'Gunnhild', '116117', org.professional.email]) {
      expect(everything, clear).not.to.include(clear);
    }
    // Members too: their records hold name and e-mail sealed, and the login index a keyed hash of the
    // address. (A personal room is named by its professional, as its public link page shows anyway.)
    const member = dump.get(keys.professional(org.org.id, org.professional.id))!.value as Record<string, string>;
    expect([member.name, member.email].every((v) => /^f1\.t1\./.test(v!))).to.equal(true);
    const stored = dump.get(keys.visitor(org.org.id, visitorId))!.value as Record<string, string>;
    for (const field of ['name', 'checkIn', 'deniedMessage']) expect(stored[field], field).to.match(/^f1\.t1\.[A-Za-z0-9_-]+\./);
    // Still read as written where it is shown.
    const denied = await server.services.waitingRoom.getVisitor(org.org.id, visitorId);
    expect(denied?.deniedMessage).to.equal('Ring legevakten på 116117');
    const otherList = await ask(await professionalSocket(server, otherPro.cookie), 'queue:list', {});
    expect(otherList.ok && otherList.visitors.map((v) => v.name)).to.deep.equal(['Gunnhild Aasen kl 14']);
    pro.disconnect();
  });

  it('a value copied to another visitor does not decrypt there (each is bound to its place)', async () => {
    const org = await createOrganization(server.services);
    const ids: string[] = [];
    for (const name of ['Ragnhild Bø', 'Sigurd Li']) {
      const res = await postJson(server, '/api/visits', { roomSlug: org.room.slug, answers: { name } });
      ids.push(((await res.json()) as { visitorId: string }).visitorId);
    }
    const [first, second] = ids as [string, string];
    const name = await server.redis.client.hget(keys.visitor(org.org.id, first), 'name');
    await server.redis.client.hset(keys.visitor(org.org.id, second), 'name', name!);
    expect((await server.services.waitingRoom.getVisitor(org.org.id, second))?.name).to.equal('');
    expect((await server.services.waitingRoom.getVisitor(org.org.id, first))?.name).to.equal('Ragnhild Bø');
  });
});
