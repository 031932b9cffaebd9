import { expect } from 'chai';
import type { PeerInfo } from '../../../../signaling/protocol/index.ts';
import { FramePipe } from '../frame-pipe.ts';
import { toBase64Url } from './bytes.ts';
import { CallEncryption, prepareKeyPair } from './call-encryption.ts';
import { generateKeyPair } from './key-exchange.ts';

/** A participant's encryption, its key messages delivered to the others as the server relays them. */
interface Side {
  info: PeerInfo;
  enc: CallEncryption;
}

function call(callId: string) {
  const sides = new Map<string, Side>();
  let inFlight: Promise<unknown>[] = [];
  async function join(id: string, role: PeerInfo['role']): Promise<Side> {
    const enc = new CallEncryption(callId, new FramePipe(() => undefined), async (to, blob) => {
      const delivery = Promise.resolve().then(() => sides.get(to)?.enc.keyMessage(id, blob));
      inFlight.push(delivery);
    }, () => undefined);
    const side = { info: { id, role, name: id, publicKey: await enc.publicKey() }, enc };
    const others = [...sides.values()];
    sides.set(id, side);
    await Promise.all([enc.joined(side.info, others.map((o) => o.info)), ...others.map((o) => o.enc.peerJoined(side.info))]);
    return side;
  }
  /** Until every key message (and the answers they cause) has been delivered. */
  async function settled(): Promise<void> {
    while (inFlight.length) {
      const now = inFlight;
      inFlight = [];
      await Promise.all(now);
    }
  }
  return { join, settled };
}

const newKey = async () => toBase64Url((await generateKeyPair()).publicKey);

describe('a participant\'s key changing during a call (call encryption)', () => {
  it('a known participant announced again with another key: the warning is raised on that side and the safety code changes; both sides warn when each sees the other\'s key change', async () => {
    const c = call('call-key-change');
    const professional = await c.join('professional:1', 'professional');
    const visitor = await c.join('visitor:1', 'visitor');
    await c.settled();
    const compared = visitor.enc.snapshot().safetyCode;
    expect(compared).to.match(/^\d{3} \d{3}$/);
    expect(professional.enc.snapshot().safetyCode).to.equal(compared);
    expect(visitor.enc.snapshot().keyChanged).to.deep.equal([]);

    // Whoever relays the keys says the professional is there with another key (a swap), and says the
    // same of the visitor to the professional.
    await visitor.enc.peerJoined({ ...professional.info, publicKey: await newKey() });
    await professional.enc.peerJoined({ ...visitor.info, publicKey: await newKey() });
    await c.settled();
    expect(visitor.enc.snapshot().keyChanged, 'the visitor is warned').to.deep.equal(['professional:1']);
    expect(professional.enc.snapshot().keyChanged, 'the professional is warned').to.deep.equal(['visitor:1']);
    expect(visitor.enc.snapshot().safetyCode, 'the code compared before is gone').to.not.equal(compared);

    // Once the new code has been compared, the warning goes.
    visitor.enc.keyChangeCompared();
    expect(visitor.enc.snapshot().keyChanged).to.deep.equal([]);
    expect(professional.enc.snapshot().keyChanged).to.deep.equal(['visitor:1']);
  });

  it('no warning for the same key announced again, nor for someone who left and came back with a new key', async () => {
    const c = call('call-no-change');
    const professional = await c.join('professional:1', 'professional');
    const visitor = await c.join('visitor:1', 'visitor');
    await c.settled();
    await visitor.enc.peerJoined(professional.info);
    await visitor.enc.peerLeft(professional.info.id);
    await visitor.enc.peerJoined({ ...professional.info, publicKey: await newKey() });
    await c.settled();
    expect(visitor.enc.snapshot().keyChanged).to.deep.equal([]);
  });
});

describe('the key pair made ahead of a call (call encryption)', () => {
  const encryption = () => new CallEncryption('call-ahead', new FramePipe(() => undefined), async () => undefined, () => undefined);

  it('a pair prepared while waiting is the next call\'s, known without waiting; used once: the call after makes its own', async () => {
    prepareKeyPair();
    // The pair is made in the background (WebCrypto); a call started after that has its public key at once.
    await new Promise((r) => setTimeout(r, 50));
    const first = encryption();
    const now = first.publicKeyNow();
    expect(now, 'known without an await').to.be.a('string');
    expect(await first.publicKey()).to.equal(now);
    const second = encryption();
    expect(second.publicKeyNow(), 'nothing prepared for the next call').to.equal(undefined);
    expect(await second.publicKey()).to.be.a('string').and.not.equal(now);
  });

  it('a call started while its pair is still being made takes that pair when it is ready', async () => {
    prepareKeyPair();
    const early = encryption();
    expect(early.publicKeyNow()).to.equal(undefined);
    const key = await early.publicKey();
    expect(early.publicKeyNow()).to.equal(key);
    // And that pair is not handed to another call.
    prepareKeyPair();
    await new Promise((r) => setTimeout(r, 50));
    expect(encryption().publicKeyNow()).to.be.a('string').and.not.equal(key);
  });
});
