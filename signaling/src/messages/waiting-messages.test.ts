import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { toBase64Url } from '../../../client/src/call-engine/e2ee/bytes.ts';
import { generateKeyPair, type ParticipantKeyPair } from '../../../client/src/call-engine/e2ee/key-exchange.ts';
import { checkMessageText, openMessage, sealMessage } from '../../../client/src/call-engine/e2ee/message-crypto.ts';
import { deviceIdOf } from '../../../client/src/call-engine/e2ee/device-keys.ts';
import { WAITING_MESSAGE_BLOB_MAX, type WaitingMessage } from '../../protocol/index.ts';
import {
  addMember,
  ask,
  createOrganization,
  joinWaitingRoom,
  login,
  professionalSocket,
  recordEvents,
  startTestServer,
  visitorSocket,
  type TestServer,
} from '../test-support/test-server.ts';
import { VISITOR_MESSAGES_PER_MINUTE } from './message-handlers.ts';

const DAY = 86_400_000;
const codeOf = (res: { ok: boolean; error?: { code: string } }) => (res.ok ? 'ok' : res.error!.code);
const hex = () => randomBytes(16).toString('hex');

/*
 * Talking to people who wait: the browsers seal each message for each reader (the visitor, and each
 * dashboard of the room's professionals); the server checks who the copies are for, keeps only ciphertext
 * under the retention period, and passes each copy to its reader. A visitor reaches no other visitor.
 */
describe('messages with waiting visitors, end-to-end encrypted (real server, Redis)', function () {
  let server: TestServer;

  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server?.close();
  });

  it('professional and visitor read each other; the server keeps ciphertext only; other visitors and other rooms’ professionals get nothing', async () => {
    const org = await createOrganization(server.services, { retentionDays: 5 });
    const outsider = await addMember(server.services, org.org.id, { name: 'Dr Other Room' });
    const pro = await professionalSocket(server, (await login(server, org.professional.email, org.professional.password)).cookie);
    const other = await professionalSocket(server, (await login(server, outsider.email, outsider.password)).cookie);
    const ola = await joinWaitingRoom(server, org.room.slug, 'Ola Nordmann');
    const kari = await joinWaitingRoom(server, org.room.slug, 'Kari Nordmann');
    const olaSocket = await visitorSocket(server, ola.visitorToken);
    const kariSocket = await visitorSocket(server, kari.visitorToken);

    const keyOf = async () => {
      const pair = await generateKeyPair();
      return { pair, publicKey: toBase64Url(pair.publicKey) };
    };
    const olaKeys = await keyOf();
    const kariKeys = await keyOf();
    const deviceOf = async () => {
      const k = await keyOf();
      return { id: await deviceIdOf(k.pair.publicKey), ...k };
    };
    const device = await deviceOf();
    const otherDevice = await deviceOf();

    const proHears = recordEvents(pro);
    expect(codeOf(await ask(olaSocket, 'messages:key', { publicKey: olaKeys.publicKey }))).to.equal('ok');
    expect(await proHears.waitFor('queue:message-key')).to.deep.equal({ visitorId: ola.visitorId, roomId: org.room.id, publicKey: olaKeys.publicKey });
    expect(codeOf(await ask(kariSocket, 'messages:key', { publicKey: kariKeys.publicKey }))).to.equal('ok');
    expect(codeOf(await ask(pro, 'messages:device', { deviceId: device.id, publicKey: device.publicKey }))).to.equal('ok');
    expect(codeOf(await ask(other, 'messages:device', { deviceId: otherDevice.id, publicKey: otherDevice.publicKey }))).to.equal('ok');
    // A device id is its key's: another key under it is refused, and so is the same key from someone else.
    expect(codeOf(await ask(other, 'messages:device', { deviceId: device.id, publicKey: otherDevice.publicKey }))).to.equal('bad_request');
    expect(codeOf(await ask(other, 'messages:device', { deviceId: device.id, publicKey: device.publicKey }))).to.equal('not_found');
    const list = await ask(pro, 'queue:list', {});
    expect(list.ok && list.visitors.find((v) => v.visitorId === ola.visitorId)?.messageKey).to.equal(olaKeys.publicKey);
    expect(list.ok && list.quickReplies).to.have.length.above(0);

    // Who can read a message about Ola: Ola, and the dashboards of the room's professionals (not the other room's).
    const readers = await ask(pro, 'messages:readers', { visitorId: ola.visitorId });
    if (!readers.ok) throw new Error(JSON.stringify(readers));
    expect(readers.visitorKey).to.equal(olaKeys.publicKey);
    expect(readers.readers).to.deep.equal([{ deviceId: device.id, professionalName: org.professional.name, publicKey: device.publicKey }]);
    expect(codeOf(await ask(other, 'messages:readers', { visitorId: ola.visitorId })), 'not their room').to.equal('not_found');

    // The professional writes; Ola's browser opens it; Kari hears nothing.
    const text = 'I’m running about 10 minutes late.';
    const seal = (own: ParticipantKeyPair, readerKey: string, from: string, to: string, t = text) => sealMessage(own, readerKey, ola.visitorId, from, to, t);
    const olaHears = recordEvents(olaSocket);
    const kariHears = recordEvents(kariSocket);
    const sent = await ask(pro, 'messages:send', {
      visitorId: ola.visitorId,
      deviceId: device.id,
      copies: [
        { to: 'visitor', blob: await seal(device.pair, olaKeys.publicKey, device.id, 'visitor') },
        { to: device.id, blob: await seal(device.pair, device.publicKey, device.id, device.id) },
      ],
    });
    expect(codeOf(sent)).to.equal('ok');
    const got = await olaHears.waitFor<WaitingMessage>('messages:new');
    expect(got.from).to.deep.equal({ deviceId: device.id, professionalName: org.professional.name, publicKey: device.publicKey });
    expect(await openMessage(olaKeys.pair, got.senderKey, ola.visitorId, device.id, 'visitor', got.blob)).to.equal(text);
    // Kari's key opens nothing of Ola's, even given the blob.
    expect(await openMessage(kariKeys.pair, got.senderKey, ola.visitorId, device.id, 'visitor', got.blob)).to.equal(null);

    // Ola answers: sealed for the room's dashboards and for herself.
    const olaReaders = await ask(olaSocket, 'messages:readers', {});
    expect(olaReaders.ok && olaReaders.readers.map((r) => r.deviceId)).to.deep.equal([device.id]);
    const reply = 'Thank you, I will wait.';
    expect(
      codeOf(
        await ask(olaSocket, 'messages:send', {
          copies: [
            { to: device.id, blob: await seal(olaKeys.pair, device.publicKey, 'visitor', device.id, reply) },
            { to: 'visitor', blob: await seal(olaKeys.pair, olaKeys.publicKey, 'visitor', 'visitor', reply) },
          ],
        }),
      ),
    ).to.equal('ok');
    const answer = await proHears.waitFor<WaitingMessage>('messages:new', (m) => m.from === 'visitor');
    expect([answer.visitorId, answer.from, answer.senderKey]).to.deep.equal([ola.visitorId, 'visitor', olaKeys.publicKey]);
    expect(await openMessage(device.pair, answer.senderKey, ola.visitorId, 'visitor', device.id, answer.blob)).to.equal(reply);

    // Later (a reload): each reader lists the thread as its own copies, oldest first.
    const proList = await ask(pro, 'messages:list', { visitorId: ola.visitorId, deviceId: device.id });
    if (!proList.ok) throw new Error(JSON.stringify(proList));
    const opened = await Promise.all(proList.messages.map((m) => openMessage(device.pair, m.senderKey, ola.visitorId, m.from === 'visitor' ? 'visitor' : m.from.deviceId, device.id, m.blob)));
    expect(opened).to.deep.equal([text, reply]);
    const olaList = await ask(olaSocket, 'messages:list', {});
    expect(olaList.ok && olaList.messages.length).to.equal(2);
    const kariList = await ask(kariSocket, 'messages:list', {});
    expect(kariList.ok && kariList.messages, 'Kari reads none of Ola’s').to.deep.equal([]);
    expect(kariHears.names().filter((n) => n === 'messages:new'), 'Kari heard nothing').to.deep.equal([]);
    expect(codeOf(await ask(other, 'messages:list', { visitorId: ola.visitorId, deviceId: otherDevice.id })), 'other room').to.equal('not_found');

    // A visitor cannot write to another visitor, nor to a made-up or other room's reader; nor send an over-long blob.
    const olaBefore = olaHears.events.length;
    const attempts = [
      { to: kari.visitorId, blob: await seal(kariKeys.pair, kariKeys.publicKey, 'visitor', 'visitor', 'hello Kari') },
      { to: otherDevice.id, blob: await seal(kariKeys.pair, otherDevice.publicKey, 'visitor', otherDevice.id, 'hi') },
    ];
    for (const copy of attempts) expect(codeOf(await ask(kariSocket, 'messages:send', { copies: [copy] })), copy.to).to.equal('bad_request');
    const tooLong = await ask(olaSocket, 'messages:send', { copies: [{ to: device.id, blob: 'A'.repeat(WAITING_MESSAGE_BLOB_MAX + 1) }] });
    expect(tooLong.ok === false && tooLong.error.message).to.match(/message_too_long/);
    const toOther = await ask(pro, 'messages:send', { visitorId: ola.visitorId, deviceId: device.id, copies: [{ to: otherDevice.id, blob: await seal(device.pair, otherDevice.publicKey, device.id, otherDevice.id) }] });
    expect(codeOf(toOther), 'to a dashboard of another room').to.equal('bad_request');
    expect(olaHears.events.length, 'nothing reached Ola').to.equal(olaBefore);

    // Stored: ciphertext only, under the organization's retention.
    const key = `{org:${org.org.id}}:messages:${ola.visitorId}`;
    const stored = (await server.redis.client.lrange(key, 0, -1)).join('\n');
    for (const plain of [text, reply, 'Ola']) expect(stored).to.not.include(plain);
    expect(await server.redis.client.pttl(key)).to.be.within(5 * DAY - 60_000, 5 * DAY);
    for (const line of server.logs()) for (const plain of [text, reply, got.blob]) expect(line).to.not.include(plain);

    // A visitor may write only so many a minute (one sent already).
    const quick = async () => ask(olaSocket, 'messages:send', { copies: [{ to: device.id, blob: await seal(olaKeys.pair, device.publicKey, 'visitor', device.id, 'hello?') }] });
    for (let i = 1; i < VISITOR_MESSAGES_PER_MINUTE; i++) expect(codeOf(await quick()), `message ${i + 1}`).to.equal('ok');
    expect(codeOf(await quick()), 'one too many').to.equal('rate_limited');

    // Once admitted, messages stop: they are for while one waits.
    expect((await ask(pro, 'queue:admit', { visitorId: kari.visitorId })).ok).to.equal(true);
    expect(codeOf(await ask(kariSocket, 'messages:readers', {}))).to.equal('not_waiting');
    for (const s of [pro, other, olaSocket, kariSocket]) s.disconnect();
  });

  it('the text rules hold in every browser: at most 1000 characters, no control characters; a reader drops a sealed text that breaks them', async () => {
    expect(checkMessageText('  Hei!  ')).to.deep.equal({ ok: true, text: 'Hei!' });
    expect(checkMessageText('x'.repeat(1001))).to.deep.equal({ ok: false, problem: 'message_too_long' });
    expect(checkMessageText('ring\u0007')).to.deep.equal({ ok: false, problem: 'message_invalid_characters' });
    expect(checkMessageText('\u202Eevil')).to.deep.equal({ ok: false, problem: 'message_invalid_characters' });
    expect(checkMessageText('   ')).to.deep.equal({ ok: false, problem: 'message_required' });
    // A sender that skips the rules: the reader opens the message and refuses it all the same.
    const a = await generateKeyPair();
    const b = await generateKeyPair();
    const visitorId = hex();
    const bad = await sealMessage(a, toBase64Url(b.publicKey), visitorId, 'visitor', 'dev', 'bell\u0007');
    expect(await openMessage(b, toBase64Url(a.publicKey), visitorId, 'visitor', 'dev', bad)).to.equal(null);
    const good = await sealMessage(a, toBase64Url(b.publicKey), visitorId, 'visitor', 'dev', 'x'.repeat(1000).replace(/x/g, '€'));
    expect(good.length, 'the longest text fits the bound').to.be.at.most(WAITING_MESSAGE_BLOB_MAX);
    // Bound to its thread, sender and reader: moved to another, it opens nowhere.
    expect(await openMessage(b, toBase64Url(a.publicKey), hex(), 'visitor', 'dev', good)).to.equal(null);
    expect(await openMessage(b, toBase64Url(a.publicKey), visitorId, 'dev', 'visitor', good)).to.equal(null);
  });
});
