import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { connectRedis } from '../redis/connection.ts';
import { DEFAULT_CHECK_IN } from '../../protocol/index.ts';
import { BankIdSettingsStore } from '../bankid/bankid-settings-store.ts';
import { keys, kindOfKey } from '../redis/keys.ts';
import { WebhookStore } from '../webhooks/webhook-store.ts';
import { appendOldFormEntry } from '../test-support/audit-old-form.ts';
import { dumpRedis } from '../test-support/redis-dump.ts';
import { startRedis, type TestRedis } from '../test-support/redis-server.ts';
import { freePort } from '../test-support/free-port.ts';
import { addMember, ask, cookiePairOf, createOrganization, login, memberApi, postJson, professionalSocket, startTestServer, type TestOrganization, type TestServer } from '../test-support/test-server.ts';
import { verifyAuditChain } from '../audit/audit-verify.ts';
import { FieldCipher } from './field-cipher.ts';
import { contextOfHashField, sealedKeyId } from './sealed-fields.ts';
import { resealFields } from './key-rotation.ts';

const run = promisify(execFile);
const key = () => randomBytes(32).toString('base64');

/*
 * Rotating the data key while the service runs (`npm run keys:rotate`): visitors keep checking in and
 * professionals keep writing messages to the visitors they turn away, on a process still sealing under the
 * old key and on one sealing under the new. Afterwards every sealed field in Redis (every key, every field,
 * found by SCAN as an operator would) is under the new key and opens with it alone, and a server given only
 * the new key shows everything as it was written.
 */
describe('keys:rotate under load (real servers, Redis, the operator command)', function () {
  this.timeout(180_000);
  const oldKey = `old1:${key()}`;
  const newKey = `new2:${key()}`;
  let redis: TestRedis;
  const servers: TestServer[] = [];
  const start = async (dataKeys: string) => {
    // An SMTP server that never answers: e-mail waits in the outbox, sealed.
    const server = await startTestServer({ redis, env: { DATA_ENCRYPTION_KEYS: dataKeys, JOIN_LIMIT_PER_MINUTE: '10000', SMTP_URL: `smtp://127.0.0.1:${closedPort}`, SMTP_FROM: 'Clinic <no-reply@clinic.example>' } });
    servers.push(server);
    return server;
  };
  const rotate = () =>
    run('npx', ['tsx', 'signaling/src/crypto/rotate-keys-cli.ts'], { env: { ...process.env, REDIS_URL: redis.url, DATA_ENCRYPTION_KEYS: `${newKey},${oldKey}` } }).then(
      (r) => ({ code: 0, out: r.stdout }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
    );

  let closedPort: number;
  before(async () => {
    redis = await startRedis();
    closedPort = await freePort();
  });
  after(async () => {
    for (const server of servers) await server.close().catch(() => {});
    await redis?.stop();
  });

  /** A visitor checks in with a name and a reason; answers their id. */
  const checkIn = async (server: TestServer, org: TestOrganization, name: string) => {
    const res = await postJson(server, '/api/visits', { roomSlug: org.room.slug, answers: { name } });
    expect(res.status).to.equal(201);
    return ((await res.json()) as { visitorId: string }).visitorId;
  };

  it('re-seals every field under the new key while visitors check in and messages are written; then the old key can go', async () => {
    // Before: a clinic's data, all under the old key (members, their second factor, visitors).
    const before = await start(oldKey);
    const org = await createOrganization(before.services);
    // Audit entries as an older version wrote them, the client address sealed in the hash-chained stream.
    const oldAuditEntries = new Map<string, string>();
    for (const address of ['198.51.100.7', '2001:db8::17']) {
      oldAuditEntries.set(await appendOldFormEntry(before.redis.client, FieldCipher.fromSetting(oldKey), { orgId: org.org.id, actor: org.professional.id, action: 'login', address }), address);
    }
    const auth = await login(before, org.professional.email, org.professional.password);
    const written = new Map<string, string>();
    for (let i = 0; i < 20; i++) {
      const name = `Besøkende Før ${i}`;
      written.set(await checkIn(before, org, name), name);
    }

    // And every other kind of sealed field: a BankID broker's client secret, a webhook endpoint's signing
    // secret and a delivery's body, a consultation's EHR reference and prefill, an access code's label, and
    // a second factor being set up in a login session, and an e-mail waiting to go (its address, its link).
    await new BankIdSettingsStore(before.redis.client, before.services.fieldCipher).set(org.org.id, {
      issuer: 'https://broker.example.no', clientId: 'clinic', clientSecret: 'broker-client-secret', acrValues: ['urn:grn:authn:no:bankid:substantial'], collectNationalId: true, memberLogin: false,
    });
    const webhooks = new WebhookStore(before.services.redis, before.services.fieldCipher);
    const { endpoint, secret: webhookSecret } = await webhooks.createEndpoint(org.org.id, { url: 'https://ehr.example.no/hook', events: ['consultation.created'] });
    await webhooks.createDelivery(org.org.id, endpoint.id, { id: randomBytes(16).toString('hex'), type: 'consultation.created' }, '{"reference":"EHR-4711"}');
    const { consultation } = await before.services.consultations.create(
      { orgId: org.org.id, roomId: org.room.id, professionalId: org.professional.id, scheduledAt: null, externalReference: 'EHR-4711', prefill: { name: 'Kari Forhånd', phone: '+4798765432' } },
      86_400_000,
    );
    await before.services.email.enqueue(org.org.id, { kind: 'consultation-invitation', consultationId: consultation.id, to: 'kari.forhand@example.no', language: 'nb', scheduledAt: null, link: 'https://video.example.no/c/x' });
    const other = await createOrganization(before.services);
    await before.services.organizations.setCheckIn(other.org.id, other.room.id, { ...DEFAULT_CHECK_IN, pseudonymous: true });
    const made = await (await memberApi(before, other.org.id, other.professional.id)).call('POST', '/api/access-codes', { roomId: other.room.id, label: 'Gunnhild kl 14', validHours: 2 });
    expect(made.status).to.equal(201);
    const member = await addMember(before.services, org.org.id);
    const firstLogin = await postJson(before, '/api/auth/login', { email: member.email, password: member.password });
    const setup = await fetch(`${before.url}/api/auth/second-factor/setup`, { headers: { cookie: cookiePairOf(firstLogin)! } });
    expect(setup.status).to.equal(200);

    // The rollout: one process already on the new key, one not yet; load on both while the rotation runs.
    const oldProcess = before;
    const newProcess = await start(`${newKey},${oldKey}`);
    const denied = new Map<string, string>();
    let loading = true;
    const load = (async () => {
      const pros = [await professionalSocket(oldProcess, auth.cookie), await professionalSocket(newProcess, auth.cookie)];
      const toDeny = [...written.keys()];
      for (let i = 0; loading || i < 6; i++) {
        const server = i % 2 ? newProcess : oldProcess;
        const name = `Besøkende Under ${i}`;
        written.set(await checkIn(server, org, name), name);
        const visitorId = toDeny.shift();
        if (visitorId) {
          const message = `Ring oss på nytt, melding ${i}`;
          const ack = await ask(pros[i % 2]!, 'queue:deny', { visitorId, message });
          if (ack.ok) denied.set(visitorId, message);
        }
      }
      for (const pro of pros) pro.disconnect();
    })();
    const during = await rotate();
    loading = false;
    await load;
    expect(during.out).to.match(/keys:rotate: \d+ fields re-sealed/);
    expect(Number(/(\d+) fields re-sealed/.exec(during.out)![1])).to.be.greaterThan(20);
    expect(during.out).to.include("2 audit entries' client addresses, sealed in the log itself by an older version, were re-sealed under new2");

    // The last process on the old key is replaced; the rotation, run again, goes on from where it was.
    await oldProcess.close();
    servers.splice(servers.indexOf(oldProcess), 1);
    const after = await rotate();
    expect(after.code, after.out).to.equal(0);
    expect(after.out).to.include('no field is left under an old key: remove old1 from DATA_ENCRYPTION_KEYS');

    // Every key and every field: no sealed value under the old key id, and each opens with the new key alone.
    const newOnly = FieldCipher.fromSetting(newKey);
    let sealedHashFields = 0;
    const sealedKinds = new Set<string>();
    for (const [redisKey, { type, value }] of await dumpRedis(redis.client)) {
      if (type === 'hash') {
        const hash = value as Record<string, string>;
        for (const [field, stored] of Object.entries(hash)) {
          if (sealedKeyId(stored) === null) continue;
          expect(sealedKeyId(stored), `${redisKey} ${field}`).to.equal('new2');
          const context = contextOfHashField(redisKey, field, hash);
          expect(context, `${redisKey} ${field}`).to.be.a('string');
          expect(newOnly.open(stored, context!), `${redisKey} ${field}`).to.be.a('string');
          sealedHashFields++;
          sealedKinds.add(kindOfKey(redisKey)!.kind);
        }
      } else if (type === 'stream') {
        for (const [entryId, flat] of value as [string, string[]][]) {
          for (let i = 1; i < flat.length; i += 2) {
            const keyId = sealedKeyId(flat[i]!);
            // An older version's address bytes stay in the chain; the copy beside it is what is read (below).
            if (keyId === 'old1' && redisKey === keys.audit(org.org.id) && flat[i - 1] === 'addr') expect(oldAuditEntries.has(entryId)).to.equal(true);
            else if (keyId !== null) expect(keyId, `${redisKey} ${flat[i - 1]}`).to.equal('new2');
          }
        }
      } else {
        // Strings, lists, sets and sorted sets hold no sealed field (messages are sealed by browsers, not here).
        for (const item of [value].flat(2)) if (typeof item === 'string') expect(sealedKeyId(item), redisKey).to.equal(null);
      }
    }
    expect(sealedHashFields).to.be.greaterThan(2 * written.size);
    expect([...sealedKinds].sort()).to.deep.equal(['access-code', 'audit-addresses', 'bankid', 'consultation', 'email', 'pro', 'session', 'visitor', 'webhook', 'webhook-delivery']);
    expect(denied.size).to.be.greaterThan(3);
    // The audit log's client addresses (the members' logins) are kept beside the chain: re-sealed like the rest.
    const entries = await redis.client.xrange(keys.audit(org.org.id), '-', '+');
    expect(entries.filter(([, flat]) => flat.some((v) => v.includes('keys_rotate')))).to.have.length(2);

    // The old key removed: the member logs in (second factor included), every visitor's name and every
    // message reads as written.
    await newProcess.close();
    servers.splice(servers.indexOf(newProcess), 1);
    const onlyNew = await start(newKey);
    const again = await login(onlyNew, org.professional.email, org.professional.password);
    expect(again.pending ?? null).to.equal(null);
    for (const [visitorId, name] of written) {
      const visitor = await onlyNew.services.waitingRoom.getVisitor(org.org.id, visitorId);
      expect(visitor?.name, visitorId).to.equal(name);
      if (denied.has(visitorId)) expect(visitor?.deniedMessage).to.equal(denied.get(visitorId));
    }
    expect((await new BankIdSettingsStore(onlyNew.redis.client, onlyNew.services.fieldCipher).get(org.org.id))?.clientSecret).to.equal('broker-client-secret');
    expect((await new WebhookStore(onlyNew.redis.client, onlyNew.services.fieldCipher).getEndpoint(org.org.id, endpoint.id))?.secret).to.equal(webhookSecret);
    expect((await onlyNew.services.consultations.get(org.org.id, consultation.id, 86_400_000))?.externalReference).to.equal('EHR-4711');
    for (const [entryId, address] of oldAuditEntries) expect(await onlyNew.services.audit.address(org.org.id, entryId)).to.equal(address);
    const logins = (await onlyNew.services.audit.list(org.org.id, { action: 'login' })).entries.filter((e) => e.hasAddress && !oldAuditEntries.has(e.id));
    expect(logins).to.have.length.greaterThan(0);
    for (const entry of logins) expect(await onlyNew.services.audit.address(org.org.id, entry.id)).to.be.a('string');
    const verified = await verifyAuditChain(onlyNew.redis.client, org.org.id, [], Date.now(), onlyNew.services.fieldCipher);
    expect(verified.problems).to.deep.equal([]);
    expect(verified.addressesChecked).to.be.greaterThan(2);
    expect(await onlyNew.services.email.recipientOf(org.org.id, consultation.id)).to.deep.equal({ to: 'kari.forhand@example.no', language: 'nb' });
    const pro = await professionalSocket(onlyNew, again.cookie);
    const list = await ask(pro, 'queue:list', {});
    expect(list.ok && list.visitors.map((v) => v.name).filter((n) => n.startsWith('Besøkende'))).to.have.length.greaterThan(10);
    pro.disconnect();
  });

  it('a field written after it was read is never overwritten with the stale value (compare and set per key)', async () => {
    const client = connectRedis(redis.url);
    try {
      const hash = '{org:abc123}:visitor:def456';
      await client.hset(hash, { name: 'sealed-as-read', reason: 'also-as-read' });
      await client.hset(hash, 'name', 'written-meanwhile');
      const replaced = await resealFields.run(client, {
        keys: { hash },
        args: { fields: ['name', 'sealed-as-read', 'resealed-stale', 'reason', 'also-as-read', 'resealed'] },
      });
      expect(replaced).to.equal(1);
      expect(await client.hgetall(hash)).to.deep.equal({ name: 'written-meanwhile', reason: 'resealed' });
      // Erased meanwhile: not brought back.
      await client.del(hash);
      expect(await resealFields.run(client, { keys: { hash }, args: { fields: ['reason', 'resealed', 'again'] } })).to.equal(0);
      expect(await client.exists(hash)).to.equal(0);
    } finally {
      await client.quit();
    }
  });

  it('refuses to run with only one key listed, and changes nothing', async () => {
    const res = await run('npx', ['tsx', 'signaling/src/crypto/rotate-keys-cli.ts'], { env: { ...process.env, REDIS_URL: redis.url, DATA_ENCRYPTION_KEYS: newKey } }).then(
      () => ({ code: 0, err: '' }),
      (e: { code: number; stderr: string }) => ({ code: e.code, err: e.stderr }),
    );
    expect(res.code).to.equal(2);
    expect(res.err).to.include('DATA_ENCRYPTION_KEYS lists one key');
    expect(res.err).not.to.include(newKey.split(':')[1]);
  });
});
