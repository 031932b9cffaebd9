import { expect } from 'chai';
import { generateKeyPair, openPairMessage, pairKey, sealPairMessage } from './key-exchange.ts';
import { commitmentOf, epochOf, SafetyCodeExchange, safetyCode, type SafetyMessage } from './safety-code.ts';

interface Sent {
  from: string;
  to: string;
  message: SafetyMessage;
}

/**
 * Participants wired through a relay that holds every message until the test delivers it, one sender to
 * one recipient in order (as the socket relay does), in whatever interleaving the test picks.
 */
class Relay {
  readonly queue: Sent[] = [];
  readonly exchanges = new Map<string, SafetyCodeExchange>();
  readonly keys = new Map<string, Uint8Array<ArrayBuffer>>();
  /** What each participant believes the others are (a man in the middle makes these differ). */
  readonly views = new Map<string, Map<string, Uint8Array<ArrayBuffer>>>();

  async add(id: string, publicKey?: Uint8Array<ArrayBuffer>): Promise<void> {
    const key = publicKey ?? (await generateKeyPair()).publicKey;
    this.keys.set(id, key);
    this.exchanges.set(id, new SafetyCodeExchange(key, async (to, message) => void this.queue.push({ from: id, to, message })));
  }

  /** Everyone in `ids` learns that the others in `ids` are there (each starts a round). */
  async members(ids: string[]): Promise<void> {
    for (const id of ids) await this.round(id, ids.filter((o) => o !== id));
  }

  async round(id: string, others: string[]): Promise<void> {
    const view = new Map(others.map((o) => [o, this.keys.get(o)!]));
    this.views.set(id, view);
    await this.exchanges.get(id)!.newRound(view);
  }

  /** Delivers queued messages (those `only` lets through) until none is left; `pick` chooses which flow goes next. */
  async deliverAll(pick: (n: number) => number = () => 0, only: (m: Sent) => boolean = () => true): Promise<void> {
    for (;;) {
      // Keep each sender->recipient flow in order: only the first message of a flow may go.
      const heads = this.queue.filter((m, i) => this.queue.findIndex((o) => o.from === m.from && o.to === m.to) === i).filter(only);
      if (!heads.length) return;
      const next = heads[pick(heads.length) % heads.length]!;
      this.queue.splice(this.queue.indexOf(next), 1);
      await this.exchanges.get(next.to)?.received(next.from, next.message);
    }
  }

  code(id: string): string | undefined {
    return this.exchanges.get(id)!.current();
  }
}

/** A seeded shuffle, so a failing interleaving can be run again. */
function random(seed: number): (n: number) => number {
  let s = seed;
  return (n) => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s % n;
  };
}

describe('safety code: commit-then-reveal of a fresh value per change of participants', () => {
  it('two participants get the same six digits; the next round with the same keys gets new ones', async () => {
    const relay = new Relay();
    await relay.add('visitor');
    await relay.add('professional');
    await relay.members(['visitor', 'professional']);
    expect(relay.code('visitor'), 'no code before the exchange').to.equal(undefined);
    await relay.deliverAll();
    const first = relay.code('visitor');
    expect(first).to.match(/^\d{3} \d{3}$/);
    expect(relay.code('professional')).to.equal(first);
    await relay.members(['visitor', 'professional']);
    await relay.deliverAll();
    expect(relay.code('professional')).to.equal(relay.code('visitor')).and.not.equal(first);
  });

  it('agrees in every interleaving, changes on each join and leave, and comes back after a leave and return', async () => {
    for (let seed = 1; seed <= 20; seed++) {
      const relay = new Relay();
      for (const id of ['a', 'b', 'c']) await relay.add(id);
      const pick = random(seed);
      const codes: string[] = [];
      const settle = async (ids: string[]) => {
        await relay.deliverAll(pick);
        const code = relay.code(ids[0]!);
        expect(code, `seed ${seed}: code of ${ids.join('+')}`).to.match(/^\d{3} \d{3}$/);
        for (const id of ids) expect(relay.code(id), `seed ${seed}: ${id} among ${ids.join('+')}`).to.equal(code);
        expect(codes, `seed ${seed}: a new code for ${ids.join('+')}`).to.not.include(code);
        codes.push(code!);
      };
      await relay.members(['a', 'b']);
      await settle(['a', 'b']);
      // c joins: a learns it first, and a's new commitment may reach b before b has heard of c (the
      // server tells everyone of a newcomer before passing on anything from it, so c's wait for that).
      await relay.round('a', ['b', 'c']);
      await relay.deliverAll(pick, (m) => m.to !== 'c');
      await relay.round('c', ['a', 'b']);
      await relay.deliverAll(pick, (m) => m.from === 'c' && m.to === 'a');
      await relay.round('b', ['a', 'c']);
      await settle(['a', 'b', 'c']);
      // c leaves, then returns with the same key: the same set as two rounds ago, and still a code.
      await relay.members(['a', 'b']);
      await settle(['a', 'b']);
      await relay.members(['a', 'b', 'c']);
      await settle(['a', 'b', 'c']);
    }
  });

  it('a man in the middle must commit before he sees our value: a commitment sent after it, or a value that does not match, gives no code', async () => {
    const relay = new Relay();
    await relay.add('visitor');
    const mallory = await generateKeyPair();
    relay.keys.set('professional', mallory.publicKey); // the visitor is shown Mallory's key as the professional's
    await relay.round('visitor', ['professional']);
    const fromVisitor = () => relay.queue.splice(0).filter((m) => m.from === 'visitor');
    const [visitorCommit] = fromVisitor();
    expect(visitorCommit!.message.type).to.equal('commit');
    const visitor = relay.exchanges.get('visitor')!;
    const epoch = await epochOf([relay.keys.get('visitor')!, mallory.publicKey]);

    // Until Mallory commits, the visitor shows nothing of its value.
    expect(fromVisitor(), 'nothing before a commitment').to.deep.equal([]);
    const first = crypto.getRandomValues(new Uint8Array(32));
    await visitor.received('professional', { type: 'commit', epoch, counter: 1, value: await commitmentOf(epoch, 1, first, mallory.publicKey) });
    const [reveal] = fromVisitor();
    expect(reveal!.message.type).to.equal('reveal');

    // Having seen it, Mallory would like to choose his value anew (to make the codes match): too late.
    const chosen = crypto.getRandomValues(new Uint8Array(32));
    await visitor.received('professional', { type: 'commit', epoch, counter: 2, value: await commitmentOf(epoch, 2, chosen, mallory.publicKey) });
    await visitor.received('professional', { type: 'reveal', epoch, counter: 2, value: chosen });
    expect(visitor.current(), 'a value committed after our reveal').to.equal(undefined);
    await visitor.received('professional', { type: 'reveal', epoch, counter: 1, value: chosen });
    expect(visitor.current(), 'a value that does not match the commitment').to.equal(undefined);
    // Only the value he committed to first counts: the code is then one he could not choose.
    await visitor.received('professional', { type: 'reveal', epoch, counter: 1, value: first });
    expect(visitor.current()).to.equal(
      await safetyCode([
        { publicKey: relay.keys.get('visitor')!, value: reveal!.message.value },
        { publicKey: mallory.publicKey, value: first },
      ]),
    );
  });

  it('a commitment for another set of participants, or to another public key, does not count', async () => {
    const relay = new Relay();
    await relay.add('a');
    await relay.add('b');
    await relay.round('a', ['b']);
    relay.queue.length = 0;
    const a = relay.exchanges.get('a')!;
    const value = crypto.getRandomValues(new Uint8Array(32));
    const otherEpoch = await epochOf([relay.keys.get('a')!, relay.keys.get('b')!, (await generateKeyPair()).publicKey]);
    await a.received('b', { type: 'commit', epoch: otherEpoch, counter: 1, value: await commitmentOf(otherEpoch, 1, value, relay.keys.get('b')!) });
    expect(relay.queue, 'no reveal for a commitment to another set').to.deep.equal([]);
    const epoch = await epochOf([relay.keys.get('a')!, relay.keys.get('b')!]);
    const someoneElse = (await generateKeyPair()).publicKey;
    await a.received('b', { type: 'commit', epoch, counter: 1, value: await commitmentOf(epoch, 1, value, someoneElse) });
    await a.received('b', { type: 'reveal', epoch, counter: 1, value });
    expect(a.current(), 'committed with a key that is not the one we use for b').to.equal(undefined);
  });

  it('commitments and values travel sealed for one pair: the relay sees neither which nor what', async () => {
    const [a, b] = await Promise.all([generateKeyPair(), generateKeyPair()]);
    const [ab, ba] = await Promise.all([pairKey(a, b.publicKey, 'call-1'), pairKey(b, a.publicKey, 'call-1')]);
    const message: SafetyMessage = { type: 'reveal', epoch: new Uint8Array(32).fill(7), counter: 258, value: new Uint8Array(32).fill(9) };
    const blob = await sealPairMessage(ab, 'call-1', 'A', 'B', message);
    expect(await openPairMessage(ba, 'call-1', 'A', 'B', blob)).to.deep.equal(message);
    expect(await openPairMessage(ba, 'call-1', 'B', 'A', blob), 'turned around').to.equal(null);
    const commit = await sealPairMessage(ab, 'call-1', 'A', 'B', { ...message, type: 'commit' });
    expect(commit.length, 'a commitment looks like a value').to.equal(blob.length);
  });
});
