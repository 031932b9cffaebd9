import { expect } from 'chai';
import { clearBytesOf, decryptFrame, encryptFrame, frameIv, IV_BYTES, TAG_BYTES, TRAILER_BYTES } from './frame-format.ts';
import { FrameKeys, importFrameKey, KEY_WAIT_MS, type EncodedFrame, type FramePipeReport } from './frame-keys.ts';

const randomBytes = (n: number) => crypto.getRandomValues(new Uint8Array(n));
const aKey = () => importFrameKey(randomBytes(32));

/** What Chromium hands a transform: the frame's bytes, its type (video) and metadata. */
function fakeFrame(data: Uint8Array, type?: 'key' | 'delta', ssrc = 1234, rtpTimestamp = 90_000): EncodedFrame {
  const frame = {
    data: data.slice().buffer,
    timestamp: rtpTimestamp,
    getMetadata: () => ({ synchronizationSource: ssrc, rtpTimestamp }),
    ...(type ? { type } : {}),
  };
  return frame as unknown as EncodedFrame;
}

/** Runs frames through one FrameKeys transform and returns the ones it let through, in order. */
async function through(keys: FrameKeys, opts: Parameters<FrameKeys['transform']>[0], frames: EncodedFrame[]): Promise<EncodedFrame[]> {
  const out: EncodedFrame[] = [];
  const source = new ReadableStream<EncodedFrame>({
    start(c) {
      for (const f of frames) c.enqueue(f);
      c.close();
    },
  });
  await source.pipeThrough(keys.transform(opts)).pipeTo(new WritableStream({ write: (f) => void out.push(f) }));
  return out;
}

describe('e2ee frame format', () => {
  for (const [kind, keyFrame, clear] of [
    ['video', true, 10],
    ['video', false, 3],
    ['audio', false, 1],
  ] as const) {
    it(`${kind}${kind === 'video' ? (keyFrame ? ' key frame' : ' delta frame') : ''}: the first ${clear} byte${clear > 1 ? 's' : ''} stay in clear, the rest is sealed, and it opens again`, async () => {
      expect(clearBytesOf(kind, keyFrame)).to.equal(clear);
      const key = await aKey();
      const plain = randomBytes(1200);
      const sealed = new Uint8Array(await encryptFrame(key, 7, frameIv(1, 2, 3), plain.slice().buffer, clear));
      expect(sealed.length).to.equal(plain.length + TAG_BYTES + TRAILER_BYTES);
      expect([...sealed.subarray(0, clear)]).to.deep.equal([...plain.subarray(0, clear)]);
      // No run of 8 plaintext bytes survives in the sealed body.
      const body = Buffer.from(sealed.subarray(clear));
      for (let i = clear; i + 8 <= plain.length; i += 64) expect(body.indexOf(Buffer.from(plain.subarray(i, i + 8)))).to.equal(-1);
      expect(sealed[sealed.length - 1]).to.equal(7);
      const opened = await decryptFrame(key, sealed.buffer, clear);
      expect([...new Uint8Array(opened!)]).to.deep.equal([...plain]);
    });
  }

  it('tampering with any clear header byte, the body, the IV or using another key makes the frame fail', async () => {
    const key = await aKey();
    const plain = randomBytes(300);
    const sealed = new Uint8Array(await encryptFrame(key, 0, frameIv(9, 9, 9), plain.slice().buffer, 10));
    const flipped = (at: number) => {
      const copy = sealed.slice();
      copy[at]! ^= 0x01;
      return copy.buffer;
    };
    for (let i = 0; i < 10; i++) expect(await decryptFrame(key, flipped(i), 10), `header byte ${i}`).to.equal(null);
    expect(await decryptFrame(key, flipped(50), 10), 'body').to.equal(null);
    expect(await decryptFrame(key, flipped(sealed.length - TRAILER_BYTES), 10), 'IV').to.equal(null);
    expect(await decryptFrame(await aKey(), sealed.slice().buffer, 10), 'another key').to.equal(null);
    expect(await decryptFrame(key, sealed.slice(0, 20).buffer, 10), 'truncated').to.equal(null);
    expect(await decryptFrame(key, sealed.slice().buffer, 10)).to.not.equal(null);
  });

  it('a frame shorter than its codec header round-trips (all of it in clear, authenticated)', async () => {
    const key = await aKey();
    const sealed = await encryptFrame(key, 1, frameIv(0, 0, 0), Uint8Array.of(1, 2).buffer, 3);
    expect([...new Uint8Array((await decryptFrame(key, sealed, 3))!)]).to.deep.equal([1, 2]);
  });

  it('never repeats an IV under one key across 100k frames, even with the same SSRC and timestamp', async function () {
    this.timeout(120_000);
    const keys = new FrameKeys(() => undefined);
    await keys.handle({ type: 'send-key', session: 's', index: 3, raw: randomBytes(32).buffer });
    const ivs = new Set<string>();
    for (let batch = 0; batch < 10; batch++) {
      // Audio and video share the sender's key (and the counter), as in a call.
      const frames = Array.from({ length: 10_000 }, (_, i) => fakeFrame(randomBytes(20), i % 2 ? 'delta' : undefined, 42, 1000));
      const video = await through(keys, { session: 's', direction: 'send', kind: 'video' }, frames.filter((_, i) => i % 2));
      const audio = await through(keys, { session: 's', direction: 'send', kind: 'audio' }, frames.filter((_, i) => !(i % 2)));
      for (const f of [...video, ...audio]) {
        const d = new Uint8Array(f.data);
        ivs.add(Buffer.from(d.subarray(d.length - TRAILER_BYTES, d.length - TRAILER_BYTES + IV_BYTES)).toString('hex'));
      }
    }
    expect(ivs.size).to.equal(100_000);
  });
});

describe('e2ee frame keys (the frame worker\'s state)', () => {
  async function sealedFrames(index: number, raw: Uint8Array<ArrayBuffer>, n: number, kind: 'audio' | 'video' = 'audio') {
    const keys = new FrameKeys(() => undefined);
    await keys.handle({ type: 'send-key', session: 'tx', index, raw: raw.slice().buffer });
    const plain = Array.from({ length: n }, () => randomBytes(100));
    const sealed = await through(keys, { session: 'tx', direction: 'send', kind }, plain.map((p) => fakeFrame(p, kind === 'video' ? 'delta' : undefined)));
    return { plain, sealed: sealed.map((f) => new Uint8Array(f.data)) };
  }
  const asFrames = (sealed: Uint8Array[]) => sealed.map((d) => fakeFrame(d));

  it('a frame that arrives before its key waits for it, and none is lost across a key change', async () => {
    const k1 = randomBytes(32);
    const k2 = randomBytes(32);
    const a = await sealedFrames(1, k1, 5);
    const b = await sealedFrames(2, k2, 5);
    const rx = new FrameKeys(() => undefined);
    await rx.handle({ type: 'receive-key', session: 'rx', participantId: 'p', index: 1, raw: k1.slice().buffer });
    // The key for index 2 comes 100 ms after its frames.
    setTimeout(() => void rx.handle({ type: 'receive-key', session: 'rx', participantId: 'p', index: 2, raw: k2.slice().buffer }), 100);
    const out = await through(rx, { session: 'rx', direction: 'receive', kind: 'audio', participantId: 'p' }, asFrames([...a.sealed, ...b.sealed]));
    expect(out.map((f) => Buffer.from(f.data).toString('hex'))).to.deep.equal([...a.plain, ...b.plain].map((p) => Buffer.from(p).toString('hex')));
  });

  it('drops frames it cannot open and reports once that the participant cannot be decrypted; a frame of an old, forgotten key does not wait', async () => {
    const reports: FramePipeReport[] = [];
    const rx = new FrameKeys((r) => reports.push(r));
    const right = randomBytes(32);
    const wrong = randomBytes(32);
    const { sealed } = await sealedFrames(5, right, 30);
    await rx.handle({ type: 'receive-key', session: 'rx', participantId: 'p', index: 5, raw: wrong.slice().buffer });
    const out = await through(rx, { session: 'rx', direction: 'receive', kind: 'audio', participantId: 'p' }, asFrames(sealed));
    expect(out).to.have.length(0);
    expect(reports).to.deep.equal([{ type: 'decrypting', session: 'rx', participantId: 'p', decrypting: false }]);

    const old = await sealedFrames(4, randomBytes(32), 3);
    const started = Date.now();
    expect(await through(rx, { session: 'rx', direction: 'receive', kind: 'audio', participantId: 'p' }, asFrames(old.sealed))).to.have.length(0);
    expect(Date.now() - started).to.be.below(KEY_WAIT_MS);
  });

  it('a frame whose key never comes is dropped after the wait, not passed on', async () => {
    const rx = new FrameKeys(() => undefined);
    const { sealed } = await sealedFrames(0, randomBytes(32), 2, 'video');
    const out = await through(rx, { session: 'rx', direction: 'receive', kind: 'video', participantId: 'p' }, asFrames(sealed));
    expect(out).to.have.length(0);
  });

  it('a sender without a key sends nothing', async () => {
    const tx = new FrameKeys(() => undefined);
    const out = await through(tx, { session: 'tx', direction: 'send', kind: 'audio' }, [fakeFrame(randomBytes(50))]);
    expect(out).to.have.length(0);
  });
});
