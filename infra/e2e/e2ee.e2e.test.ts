import { expect } from 'chai';
import type { Page, WebSocketRoute } from 'playwright-core';
import { sleep } from '../../signaling/src/test-support/test-server.ts';
import { scanKeys } from '../../signaling/src/test-support/redis-keys.ts';
import { inboundMedia, waitForMedia } from './browser.ts';
import { consultationSuite } from './consultation.ts';
import { beepsHeard, listenInApp, spyOnCall, type Spy } from './spy/spy.ts';
import type { CapturedFrame } from './spy/spy-page.ts';
import { captureSecrets, encodingsOf, receivedKeysOf, secretsOf, type WorkerKeyCommand } from './e2ee-capture.ts';
import { clearBytesOf, decryptFrame } from '../../client/src/call-engine/e2ee/frame-format.ts';
import { importFrameKey } from '../../client/src/call-engine/e2ee/frame-keys.ts';
import { fromBase64Url, toBase64Url } from '../../client/src/call-engine/e2ee/bytes.ts';
import {
  generateKeyPair,
  openPairMessage,
  pairKey,
  randomMediaKey,
  sealPairMessage,
  type PairMessage,
} from '../../client/src/call-engine/e2ee/key-exchange.ts';
import { commitmentOf, epochOf } from '../../client/src/call-engine/e2ee/safety-code.ts';
import { dumpRedis } from '../../signaling/src/test-support/redis-dump.ts';
import { tapMedia, type TappedFrame } from './rtp-tap.ts';
import { eventually } from '../../signaling/src/test-support/eventually.ts';

/**
 * An init script that lets a test stand in for the server on the page's Socket.IO connection: every text
 * the server sends passes through `rewrite` (pairs of what and what instead), and `window.__serverSays`
 * delivers a message of the test's own as if the server had sent it.
 */
function serverVoice(rewrite: [string, string][] = []): string {
  return `(() => {
    const rewrite = ${JSON.stringify(rewrite)};
    const Native = WebSocket;
    const open = [];
    window.__serverSays = (text) => { for (const ws of open) if (ws.readyState === 1 && ws.__deliver) ws.__deliver(text); };
    window.WebSocket = class extends Native {
      constructor(...args) { super(...args); open.push(this); }
      get onmessage() { return super.onmessage; }
      set onmessage(handler) {
        this.__deliver = (data) => handler.call(this, { data });
        super.onmessage = (e) => {
          let data = e.data;
          if (typeof data === 'string') for (const [what, instead] of rewrite) data = data.split(what).join(instead);
          handler.call(this, { data });
        };
      }
    };
  })();`;
}

const serverSays = (page: Page, text: string) => page.evaluate((t) => (window as unknown as { __serverSays(t: string): void }).__serverSays(t), text);

const audioOnly = (frames: CapturedFrame[]) => frames.filter((f) => f.kind === 'audio');

/** The frame as the sender encoded it, if one of `keys` (by the frame's key index) opens it. */
async function openFrame(f: CapturedFrame, keys: WorkerKeyCommand[]): Promise<Uint8Array | null> {
  const wire = Uint8Array.from(f.data);
  for (const k of keys.filter((k) => k.index === wire[wire.length - 1])) {
    const plain = await decryptFrame(await importFrameKey(Uint8Array.from(k.raw)), wire.slice().buffer, clearBytesOf(f.kind, f.keyFrame));
    if (plain) return new Uint8Array(plain);
  }
  return null;
}

/** How many captured (audio) frames the given keys open, and which key indexes the frames carry. */
async function openWith(frames: CapturedFrame[], keys: WorkerKeyCommand[]): Promise<{ opened: number; indexes: number[] }> {
  let opened = 0;
  const indexes = new Set<number>();
  for (const f of audioOnly(frames)) {
    indexes.add(f.data[f.data.length - 1]!);
    if (await openFrame(f, keys)) opened++;
  }
  return { opened, indexes: [...indexes].sort((a, b) => a - b) };
}

/*
 * End-to-end encryption in real calls: real Chromium on both sides, our signaling, real Redis and the
 * real SFU. What each person sees, what someone with the SFU's access gets (a "spy" consuming the same
 * producers without keys), and what a departed participant's keys still open.
 */
describe('end-to-end encryption of calls (real Chromium, SFU, Redis)', function () {
  this.timeout(120_000);

  const spies: Spy[] = [];
  const suite = consultationSuite('Fjord Clinic', async () => {
    for (const s of spies.splice(0)) await s.close().catch(() => undefined);
  });

  async function spy(callId: string, mode: 'plain' | 'capture', from?: string): Promise<Spy> {
    const s = await spyOnCall(suite.browser, suite.server, callId, mode, from);
    spies.push(s);
    return s;
  }

  const seenCalls = new Set<string>();

  /** The call the last admission started (earlier tests' calls may still be active: their pages just closed). */
  async function newCallId(): Promise<string | undefined> {
    for (const key of await scanKeys(suite.server.redis.client, `{org:${suite.org.org.id}}:call:*`)) {
      const callId = key.split(':').pop()!;
      if (seenCalls.has(callId)) continue;
      if ((await suite.server.services.calls.get(suite.org.org.id, callId))?.state !== 'active') continue;
      seenCalls.add(callId);
      return callId;
    }
    return undefined;
  }

  async function admitted(visitorName: string, opts: { visitorInit?: string; proInit?: string } = {}): Promise<{ pro: Page; visitor: Page; callId: string }> {
    const pro = await suite.scene.professionalLogsIn(opts.proInit);
    const visitor = await suite.scene.visitorChecksIn(visitorName, opts.visitorInit);
    await pro.getByRole('button', { name: `Admit ${visitorName}` }).click();
    return { pro, visitor, callId: await waitForCall() };
  }

  async function waitForCall(): Promise<string> {
    return eventually(async () => (await newCallId()) || false, { what: 'the call started', timeoutMs: 5000, intervalMs: 100 });
  }

  const safetyCodeOf = async (page: Page) => (await page.getByTestId('safety-code').textContent())!.trim();

  it('both sides decode video and hear each other; a spy on the SFU decodes next to no video, and every frame it gets is sealed (not what the sender encoded); both see the lock and the same safety code', async () => {
    const { pro, visitor, callId } = await admitted('Ola Nordmann', { visitorInit: captureSecrets });
    await waitForMedia(visitor, (m) => m.framesDecoded > 0 && m.totalAudioEnergy > 0, 'visitor receives video and audio');
    await waitForMedia(pro, (m) => m.framesDecoded > 0 && m.totalAudioEnergy > 0, 'professional receives video and audio');

    for (const page of [pro, visitor]) await page.getByText('End-to-end encrypted').first().waitFor();
    const code = await safetyCodeOf(visitor);
    expect(code).to.match(/^\d{3} \d{3}$/);
    expect(await safetyCodeOf(pro)).to.equal(code);

    const proId = `professional:${suite.org.professional.id}`;
    const keyless = await spy(callId, 'plain');
    const tap = await spy(callId, 'capture', proId);
    const heardByVisitor = await listenInApp(visitor, 3000);
    const stats = await keyless.stats();
    // The spy did get the media (so "nothing decoded" is not "nothing arrived")...
    expect(stats.videoPackets, 'video packets reached the spy').to.be.above(30);
    expect(stats.audioPackets, 'audio packets reached the spy').to.be.above(30);
    // ...and decodes next to nothing: VP8 sometimes takes a sealed key frame (its 10 clear bytes give the
    // size) and "decodes" noise from it; the visitor, with keys, decodes a picture 20 times a second.
    expect(stats.framesDecoded, 'video frames decoded by the spy').to.be.at.most(2);
    // The visitor, with the keys, hears the professional's microphone (its fake device beeps).
    expect(beepsHeard(heardByVisitor), 'beeps the visitor hears').to.be.at.least(3);

    // Decoders make noise of anything, so the media is judged by its packets: every frame the SFU
    // forwards opens with the professional's key (so it was sealed: had the transforms been bypassed,
    // none would), its codec header is what the sender encoded, and no 8 bytes of the rest appear in it
    // (4 were too few: in a few hundred frames of several KB, some 4 random bytes of ciphertext match by chance).
    const frames = await tap.takeFrames();
    const keys = await receivedKeysOf(visitor, proId);
    for (const kind of ['audio', 'video'] as const) expect(frames.filter((f) => f.kind === kind).length, `${kind} frames captured`).to.be.above(30);
    for (const f of frames) {
      const wire = Uint8Array.from(f.data);
      const clear = clearBytesOf(f.kind, f.keyFrame);
      const encoded = await openFrame(f, keys);
      expect(encoded, `a ${f.kind} frame of ${wire.length} bytes that does not open with the professional's key`).to.not.equal(null);
      expect([...wire.subarray(0, clear)], 'the codec header stays in clear').to.deep.equal([...encoded!.subarray(0, clear)]);
      const body = Buffer.from(wire.subarray(clear));
      for (let i = clear; i + 8 <= encoded!.length; i += 8) expect(body.indexOf(Buffer.from(encoded!.subarray(i, i + 8))), `8 clear bytes at ${i} in a sealed ${f.kind} frame`).to.equal(-1);
    }
  });

  it('after the visitor leaves, the key index changes and the visitor\'s old keys open nothing new; back again, the visitor decodes current frames but its keys open none from before; the safety code follows who is there', async () => {
    const { pro, visitor, callId } = await admitted('Kari Nordmann', { visitorInit: captureSecrets, proInit: captureSecrets });
    await waitForMedia(visitor, (m) => m.framesDecoded > 0 && m.totalAudioEnergy > 0, 'visitor receives video and audio');
    const proId = `professional:${suite.org.professional.id}`;
    const tap = await spy(callId, 'capture', proId);
    await sleep(2000);
    const before = audioOnly(await tap.takeFrames());
    const oldKeys = await receivedKeysOf(visitor, proId);
    const codeTogether = await safetyCodeOf(pro);
    expect(await safetyCodeOf(visitor)).to.equal(codeTogether);
    // Control: the visitor's keys do open what it was sent while it was there.
    const whileThere = await openWith(before, oldKeys);
    expect(before.length, 'frames captured').to.be.above(20);
    expect(whileThere.opened, 'frames the visitor\'s keys open while it is there').to.be.above(before.length * 0.8);

    await visitor.close();
    await pro.getByTestId('safety-code').filter({ hasNotText: codeTogether }).waitFor();
    const codeAlone = await safetyCodeOf(pro);
    await sleep(500);
    await tap.takeFrames();
    await sleep(2000);
    const afterLeaving = audioOnly(await tap.takeFrames());
    const gone = await openWith(afterLeaving, oldKeys);
    expect(afterLeaving.length, 'frames captured after the leave').to.be.above(20);
    expect(gone.indexes.some((i) => whileThere.indexes.includes(i)), `key index changed (${whileThere.indexes} -> ${gone.indexes})`).to.equal(false);
    expect(gone.opened, 'frames the departed visitor\'s keys open').to.equal(0);

    // The visitor opens the link again (same browser, same visit) and is back in the call.
    const back = await visitor.context().newPage();
    await back.goto(`${suite.server.url}/r/${suite.org.room.slug}`);
    await waitForMedia(back, (m) => m.framesDecoded > 0 && m.totalAudioEnergy > 0, 'the returning visitor receives video and audio');
    await sleep(1000);
    await tap.takeFrames();
    await sleep(2000);
    const current = audioOnly(await tap.takeFrames());
    const newKeys = await receivedKeysOf(back, proId);
    expect((await openWith(current, newKeys)).opened, 'current frames the newcomer\'s keys open').to.be.above(current.length * 0.8);
    expect((await openWith([...before, ...afterLeaving], newKeys)).opened, 'earlier frames the newcomer\'s keys open').to.equal(0);

    const codeAgain = await safetyCodeOf(back);
    expect(await safetyCodeOf(pro)).to.equal(codeAgain);
    expect(new Set([codeTogether, codeAlone, codeAgain]).size, 'three different participant sets, three codes').to.equal(3);
  });

  it('sent back to the waiting room: the visitor\'s media stops reaching the call, the professional\'s key changes and the visitor\'s keys open nothing after; the visitor waits, first in line', async () => {
    const { pro, visitor, callId } = await admitted('Sofie Berg', { visitorInit: captureSecrets });
    await waitForMedia(visitor, (m) => m.framesDecoded > 0 && m.totalAudioEnergy > 0, 'visitor receives video and audio');
    await waitForMedia(pro, (m) => m.framesDecoded > 0, 'professional receives video');
    const proId = `professional:${suite.org.professional.id}`;
    const tap = await spy(callId, 'capture', proId);
    await sleep(2000);
    const before = audioOnly(await tap.takeFrames());
    const keys = await receivedKeysOf(visitor, proId);
    const whileIn = await openWith(before, keys);
    expect(whileIn.opened, 'frames the visitor\'s keys open while in the call').to.be.above(before.length * 0.8);

    await pro.getByRole('button', { name: 'Send Sofie Berg back to the waiting room' }).click();
    await visitor.getByText(`${suite.org.professional.name} has sent you back to the waiting room for a moment.`, { exact: false }).waitFor();
    await visitor.getByText('You are next in line.').waitFor();
    await pro.getByText('Sofie Berg is back in the waiting room').waitFor();
    // What the professional received from the visitor stops at once.
    await sleep(500);
    const proDecoded = (await inboundMedia(pro)).framesDecoded;
    await sleep(1500);
    expect((await inboundMedia(pro)).framesDecoded, 'frames from the visitor after the send-back').to.equal(proDecoded);

    await tap.takeFrames();
    await sleep(2000);
    const after = audioOnly(await tap.takeFrames());
    const gone = await openWith(after, [...keys, ...(await receivedKeysOf(visitor, proId))]);
    expect(after.length, 'the professional still sends').to.be.above(20);
    expect(gone.indexes.some((i) => whileIn.indexes.includes(i)), `key index changed (${whileIn.indexes} -> ${gone.indexes})`).to.equal(false);
    expect(gone.opened, 'frames the sent-back visitor\'s keys open').to.equal(0);
    // The call goes on for the professional until they hang up; the visitor's visit goes on too.
    await pro.getByRole('button', { name: 'End the call' }).click();
    await sleep(300);
    expect(await visitor.getByRole('heading', { name: 'You are in the waiting room' }).count()).to.equal(1);
  });

  it('a key swapped in transit (a man in the middle) leaves the visitor unable to decrypt, says so, and the safety codes differ', async () => {
    const pro = await suite.scene.professionalLogsIn();
    const visitor = await suite.scene.page();
    const mitm = await generateKeyPair();
    const mitmPublic = toBase64Url(mitm.publicKey);
    let visitorPublic: string | undefined;
    let visitorId: string | undefined;
    let swapped = 0;
    let committed = false;
    const value = crypto.getRandomValues(new Uint8Array(32));
    const pairWithVisitor = (callId: string) => pairKey(mitm, fromBase64Url(visitorPublic!), callId);
    /** What the man in the middle says to the visitor as if it came from the professional. */
    const sendAsProfessional = async (ws: WebSocketRoute, e: { callId: string; from: string }, message: PairMessage) => {
      const blob = await sealPairMessage(await pairWithVisitor(e.callId), e.callId, e.from, visitorId!, message);
      ws.send(`42/visitor,${JSON.stringify(['e2ee:key', { ...e, blob }])}`);
    };
    // Everything the server says to the visitor passes through here: the professional's public key is
    // replaced with ours, and the professional's sealed messages with wrong keys sealed by us. We also
    // take the professional's part in the safety code exchange, as well as anyone could: we commit to a
    // value of ours, and reveal it once the visitor has revealed its own.
    await visitor.routeWebSocket(/socket\.io/, (ws) => {
      const upstream = ws.connectToServer();
      let order = Promise.resolve();
      let professional: { callId: string; from: string } | undefined;
      ws.onMessage((m) => {
        if (typeof m === 'string' && m.includes('"call:join"')) visitorPublic = /"publicKey":"([A-Za-z0-9_-]+)"/.exec(m)?.[1];
        upstream.send(m);
        const sent = typeof m === 'string' ? /^42\/visitor,\d*\["e2ee:key",(\{.*\})\]$/s.exec(m) : null;
        if (!sent || !professional || !visitorId) return;
        order = order.then(async () => {
          const e = JSON.parse(sent[1]!) as { callId: string; to: string; blob: string };
          const opened = await openPairMessage(await pairWithVisitor(e.callId), e.callId, visitorId!, e.to, e.blob);
          if (opened?.type === 'reveal') await sendAsProfessional(ws, professional!, { ...opened, value });
        });
      });
      upstream.onMessage((m) => {
        order = order.then(async () => {
          if (typeof m !== 'string' || !visitorPublic) return ws.send(m);
          visitorId ??= /"self":\{"id":"(visitor:[0-9a-f]+)"/.exec(m)?.[1];
          const out = m.replace(/"publicKey":"([A-Za-z0-9_-]+)"/g, (all, key: string) => (key === visitorPublic ? all : `"publicKey":"${mitmPublic}"`));
          const keyEvent = /^42\/visitor,\["e2ee:key",(\{.*\})\]$/s.exec(out);
          if (!keyEvent || !visitorId) return ws.send(out);
          const e = JSON.parse(keyEvent[1]!) as { callId: string; from: string; blob: string };
          professional = { callId: e.callId, from: e.from };
          for (let index = 0; index < 4; index++) {
            await sendAsProfessional(ws, professional, { type: 'key', key: randomMediaKey(index) });
            swapped++;
          }
          if (committed) return;
          committed = true;
          const epoch = await epochOf([fromBase64Url(visitorPublic), mitm.publicKey]);
          await sendAsProfessional(ws, professional, { type: 'commit', epoch, counter: 1, value: await commitmentOf(epoch, 1, value, mitm.publicKey) });
        });
      });
    });
    await visitor.goto(`${suite.server.url}/r/${suite.org.room.slug}`);
    await suite.scene.checksIn(visitor, 'Per Hansen');
    await pro.getByRole('button', { name: 'Admit Per Hansen' }).click();
    await waitForCall();

    await visitor.getByText(`${suite.org.professional.name}’s video and sound cannot be decrypted in your browser`).waitFor({ timeout: 20_000 });
    expect(swapped, 'wrong keys given').to.be.at.least(4);
    const decoded = (await inboundMedia(visitor)).framesDecoded;
    await sleep(1500);
    expect((await inboundMedia(visitor)).framesDecoded, 'frames the visitor decodes').to.equal(decoded).and.to.equal(0);
    // The professional cannot open what the visitor sealed for the man in the middle either.
    await pro.getByText(/Per Hansen’s video and sound cannot be decrypted/).waitFor();
    // The visitor got a code (with the man in the middle); the professional, whom the visitor's messages
    // never reached, has none: read aloud, they do not match.
    const visitorCode = await safetyCodeOf(visitor);
    expect(visitorCode).to.match(/^\d{3} \d{3}$/);
    await pro.getByText('Setting up encryption…').waitFor();
    expect(await pro.getByTestId('safety-code').count(), 'a code on the professional\'s side').to.equal(0);
  });

  it('a server answering that the call is unencrypted gets nothing from the product app: no frame reaches the SFU, and the visitor and the professional are told why', async () => {
    const offeredInClear = serverVoice([['"encryption":"end-to-end"', '"encryption":"off-for-benchmark"']]);
    const { pro, visitor, callId } = await admitted('Eva Lund', { visitorInit: offeredInClear, proInit: offeredInClear });
    await sleep(4000);
    // Someone with the SFU's access finds nothing to consume; had anything been sent, it would be in clear.
    const reached = await spy(callId, 'capture').then(
      async (s) => {
        await sleep(2000);
        return (await s.takeFrames()).length;
      },
      (error: Error) => {
        if (/no producers/.test(error.message)) return 0;
        throw error;
      },
    );
    expect(reached, 'frames that reached the SFU').to.equal(0);
    const refused = 'This call is not sent: our server offered it without end-to-end encryption';
    await visitor.getByRole('alert').filter({ hasText: refused }).waitFor();
    await pro.getByRole('alert').filter({ hasText: refused }).waitFor();
    expect(await visitor.getByText('End-to-end encrypted', { exact: true }).count(), 'a lock on the visitor\'s side').to.equal(0);
  });

  it('a known participant\'s key changing during the call warns both sides that the safety code changed and must be compared again', async () => {
    const voice = serverVoice();
    const { pro, visitor, callId } = await admitted('Tor Lie', { visitorInit: voice, proInit: voice });
    await waitForMedia(visitor, (m) => m.framesDecoded > 0, 'visitor receives video');
    await waitForMedia(pro, (m) => m.framesDecoded > 0, 'professional receives video');
    const code = await safetyCodeOf(visitor);
    expect(await safetyCodeOf(pro)).to.equal(code);
    const warning = (name: string) => `${name}’s encryption key has changed, so the safety code has changed too.`;
    expect(await visitor.getByText(warning(suite.org.professional.name)).count()).to.equal(0);

    // Whoever relays the keys announces each one to the other again, with a key of its own.
    const visitorId = (await suite.server.services.calls.get(suite.org.org.id, callId))!.visitorId;
    const announce = async (page: Page, namespace: string, peer: { id: string; role: string; name: string }) => {
      const publicKey = toBase64Url((await generateKeyPair()).publicKey);
      await serverSays(page, `42${namespace},${JSON.stringify(['call:peer-joined', { callId, peer: { ...peer, publicKey } }])}`);
    };
    await announce(visitor, '/visitor', { id: `professional:${suite.org.professional.id}`, role: 'professional', name: suite.org.professional.name });
    await announce(pro, '/pro', { id: `visitor:${visitorId}`, role: 'visitor', name: 'Tor Lie' });

    await visitor.getByRole('alert').filter({ hasText: warning(suite.org.professional.name) }).waitFor();
    await pro.getByRole('alert').filter({ hasText: warning('Tor Lie') }).waitFor();
    // The code compared before is gone (a new one appears once everyone has taken part in a new round).
    await visitor.getByTestId('safety-code').filter({ hasText: code }).waitFor({ state: 'detached' });
    await pro.getByTestId('safety-code').filter({ hasText: code }).waitFor({ state: 'detached' });
    // Once compared, the person says so and the warning goes.
    await visitor.getByRole('button', { name: 'We have compared the new code' }).click();
    expect(await visitor.getByText(warning(suite.org.professional.name)).count()).to.equal(0);
    expect(await pro.getByText(warning('Tor Lie')).count(), 'the professional still has to compare').to.equal(1);
  });

  it('from the first packet on, every frame a browser sends is sealed: the first key frame of each producer, and every frame after it, opens only with its sender\'s key', async () => {
    // On before anyone's media exists (the professional's ready call included): every producer from its start.
    const tap = tapMedia(suite.server.services.media);
    try {
      const { pro, visitor, callId } = await admitted('Lise Holm', { visitorInit: captureSecrets, proInit: captureSecrets });
      await waitForMedia(visitor, (m) => m.framesDecoded > 0 && m.totalAudioEnergy > 0, 'visitor receives video and audio');
      await waitForMedia(pro, (m) => m.framesDecoded > 0 && m.totalAudioEnergy > 0, 'professional receives video and audio');
      await sleep(1000);
      const producers = tap.producersOf(suite.server.services.media.existingRouter(callId)!);

      const visitorId = `visitor:${(await suite.server.services.calls.get(suite.org.org.id, callId))!.visitorId}`;
      const proId = `professional:${suite.org.professional.id}`;
      const sendKeys = new Map<string, WorkerKeyCommand[]>([
        [visitorId, (await secretsOf(visitor)).keyCommands.filter((c) => c.type === 'send-key')],
        [proId, (await secretsOf(pro)).keyCommands.filter((c) => c.type === 'send-key')],
      ]);
      const opens = async (f: TappedFrame, keys: WorkerKeyCommand[]) => {
        for (const k of keys.filter((k) => k.index === f.data[f.data.length - 1])) {
          const key = await importFrameKey(Uint8Array.from(k.raw));
          if (await decryptFrame(key, f.data.slice().buffer, clearBytesOf(f.kind, f.keyFrame))) return true;
        }
        return false;
      };
      expect(producers.map((p) => `${p.participantId} ${p.kind}`).sort()).to.deep.equal([`${proId} audio`, `${proId} video`, `${visitorId} audio`, `${visitorId} video`].sort());
      for (const p of producers) {
        const keys = sendKeys.get(p.participantId)!;
        expect(p.frames.length, `${p.participantId}'s ${p.kind} frames`).to.be.above(10);
        expect(await opens(p.frames[0]!, keys), `${p.participantId}'s first ${p.kind} frame`).to.equal(true);
        if (p.kind === 'video') {
          const firstKeyFrame = p.frames.find((f) => f.keyFrame);
          expect(firstKeyFrame, `a key frame from ${p.participantId}`).to.not.equal(undefined);
          expect(await opens(firstKeyFrame!, keys), `${p.participantId}'s first key frame`).to.equal(true);
        }
        let clear = 0;
        for (const f of p.frames) if (!(await opens(f, keys))) clear++;
        expect(clear, `${p.participantId}'s ${p.kind} frames that do not open with its key (of ${p.frames.length})`).to.equal(0);
      }
    } finally {
      tap.close();
    }
  });

  it('chat is end to end encrypted; no Redis key or log line written during the call holds a private key, a media key or a message', async () => {
    const { pro, visitor } = await admitted('Ingrid Berg', { visitorInit: captureSecrets, proInit: captureSecrets });
    await waitForMedia(visitor, (m) => m.framesDecoded > 0, 'visitor receives video');
    await waitForMedia(pro, (m) => m.framesDecoded > 0, 'professional receives video');
    const question = 'Hvordan går det med ryggen etter operasjonen?';
    const answer = 'Mye bedre, takk. Litt vondt om morgenen.';
    await pro.getByRole('textbox', { name: 'Message' }).fill(question);
    await pro.getByRole('button', { name: 'Send', exact: true }).click();
    await visitor.getByText(question).waitFor();
    await visitor.getByRole('textbox', { name: 'Message' }).fill(answer);
    await visitor.getByRole('textbox', { name: 'Message' }).press('Enter');
    await pro.getByText(answer).waitFor();
    expect(await visitor.getByRole('listitem').filter({ hasText: question }).textContent()).to.include(suite.org.professional.name);

    const secrets = [await secretsOf(pro), await secretsOf(visitor)];
    const sought: { what: string; bytes: Uint8Array }[] = [];
    for (const s of secrets) {
      // A professional may have got a call ready more than once while people came and went: each with its own pair.
      expect(s.privateKeys.length, 'key pairs made').to.be.at.least(1);
      expect(s.keyCommands.length, 'media keys seen').to.be.at.least(2);
      for (const d of s.privateKeys) sought.push({ what: 'private key', bytes: fromBase64Url(d) });
      for (const k of s.keyCommands) sought.push({ what: `${k.type} ${k.index}`, bytes: Uint8Array.from(k.raw) });
      for (const r of s.random) sought.push({ what: 'random bytes', bytes: Uint8Array.from(r) });
    }
    await pro.getByRole('button', { name: 'End the call' }).click();
    await visitor.getByRole('heading', { name: /ended/i }).waitFor();

    const redisText = JSON.stringify([...(await dumpRedis(suite.server.redis.client)).entries()]);
    const logText = suite.server.logs().join('\n');
    expect(logText.length).to.be.above(1000);
    for (const { what, bytes } of sought) {
      for (const text of encodingsOf(bytes)) {
        expect(redisText.includes(text), `${what} in Redis`).to.equal(false);
        expect(logText.includes(text), `${what} in the logs`).to.equal(false);
      }
    }
    for (const text of [question, answer]) {
      expect(redisText.includes(text), 'chat in Redis').to.equal(false);
      expect(logText.includes(text), 'chat in the logs').to.equal(false);
    }
  });

  it('where only createEncodedStreams exists the call is still encrypted; a browser with neither cannot join and is told which can', async () => {
    const noScriptTransform = 'delete window.RTCRtpScriptTransform;';
    const { pro, visitor, callId } = await admitted('Nils Dahl', { visitorInit: noScriptTransform });
    await waitForMedia(visitor, (m) => m.framesDecoded > 0 && m.totalAudioEnergy > 0, 'visitor (createEncodedStreams) receives');
    await waitForMedia(pro, (m) => m.framesDecoded > 0 && m.totalAudioEnergy > 0, 'professional receives from it');
    const keyless = await spy(callId, 'plain', `visitor:${(await suite.server.services.calls.get(suite.org.org.id, callId))!.visitorId}`);
    await sleep(2500);
    const stats = await keyless.stats();
    expect(stats.videoPackets).to.be.above(30);
    // As in the first test: VP8 may "decode" noise from a sealed key frame now and then, never a picture.
    expect(stats.framesDecoded, 'video the spy decodes from the fallback sender').to.be.at.most(2);
    await pro.getByRole('button', { name: 'End the call' }).click();
    await suite.scene.end();

    const neither = `${noScriptTransform} delete RTCRtpSender.prototype.createEncodedStreams; delete RTCRtpReceiver.prototype.createEncodedStreams;`;
    const old = await suite.scene.page(neither);
    await old.goto(`${suite.server.url}/r/${suite.org.room.slug}`);
    await old.getByRole('heading', { name: 'This browser cannot be used for video consultations' }).waitFor();
    await old.getByText(/Chrome, Edge or Firefox, or in Safari 15\.4 or later/).waitFor();
    expect(await old.getByLabel('Your name').count(), 'no check-in form').to.equal(0);
    const oldDashboard = await suite.scene.professionalLogsIn(neither);
    await oldDashboard.getByText(/This browser cannot encrypt video calls/).waitFor();
    expect(await oldDashboard.getByRole('button', { name: /Admit/ }).count()).to.equal(0);
  });
});
