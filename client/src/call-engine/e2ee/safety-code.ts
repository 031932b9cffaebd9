import { compareBytes, concatBytes, equalBytes, utf8 } from './bytes.ts';

/*
 * The safety code people read aloud to check that no one is in the middle of their call.
 *
 * A code over the public keys alone would be weak: the server relays the public keys, so a server that
 * wanted to sit in the middle could try a million key pairs of its own until both sides showed the same
 * six digits. So each code also covers a fresh random value from every participant, exchanged with
 * commit-then-reveal (as ZRTP and Matrix's SAS do): each participant first sends a commitment, a hash of
 * its value and its public key, and shows its own value only once it holds a commitment from everyone
 * else. Whoever sits in the middle must therefore fix its own values before it sees ours, and its chance
 * of making both sides show the same code is one in a million, once per change of participants (which
 * everyone sees happen).
 *
 * Rounds: every change of the participants (a join, a leave) starts a round with a fresh value. A round is
 * named by its epoch, a hash of everyone's public keys, so commitments for another set of participants do
 * not count; a per-sender counter tells a participant's commitments apart when the same set comes back
 * (someone leaves and returns), so an old commitment never counts again. Each round's code is known once
 * every participant's value has arrived and matches its commitment; until then there is no code.
 */

export const SAFETY_VALUE_BYTES = 32;

/** What participants send each other for the code, sealed like key messages (only the pair can read it). */
export interface SafetyMessage {
  type: 'commit' | 'reveal';
  epoch: Uint8Array<ArrayBuffer>;
  /** The sender's round counter: higher for each of its rounds. */
  counter: number;
  /** The commitment (commit), or the random value it commits to (reveal). */
  value: Uint8Array<ArrayBuffer>;
}

interface Held {
  epoch: Uint8Array<ArrayBuffer>;
  counter: number;
  value: Uint8Array<ArrayBuffer>;
}

interface PeerRound {
  publicKey: Uint8Array<ArrayBuffer>;
  /** What arrived from this participant and may still count (bounded). */
  commits: Held[];
  reveals: Held[];
  /** The commitment this round holds the participant to, taken before our value was shown. */
  fixed?: Held;
  /** Its value, once it matched `fixed`. */
  value?: Uint8Array<ArrayBuffer>;
  /** The counter of the commitment our previous round used: only newer ones count from now on. */
  usedCounter: number;
}

const HELD_PER_PEER = 8;

async function sha256(...parts: Uint8Array[]): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', concatBytes(...parts)));
}

const u32 = (n: number) => Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);

/** Which set of participants a round is for: everyone's public keys, in an order all agree on. */
export function epochOf(publicKeys: Uint8Array<ArrayBuffer>[]): Promise<Uint8Array<ArrayBuffer>> {
  return sha256(utf8('consult safety epoch v1'), ...[...publicKeys].sort(compareBytes));
}

/** The commitment to a random value: bound to the round's epoch, the counter and the sender's public key. */
export function commitmentOf(epoch: Uint8Array, counter: number, value: Uint8Array, publicKey: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  return sha256(utf8('consult safety commit v1'), epoch, u32(counter), value, publicKey);
}

/** Six digits from everyone's public key and random value, the same in every browser whatever the order. */
export async function safetyCode(participants: { publicKey: Uint8Array; value: Uint8Array }[]): Promise<string> {
  const sorted = [...participants].sort((a, b) => compareBytes(a.publicKey, b.publicKey));
  const digest = await sha256(utf8('consult safety code v2'), ...sorted.flatMap((p) => [p.publicKey, p.value]));
  // 40 bits reduced to 6 digits: the bias is below one in a million.
  let n = 0;
  for (let i = 0; i < 5; i++) n = n * 256 + digest[i]!;
  const digits = String(n % 1_000_000).padStart(6, '0');
  return `${digits.slice(0, 3)} ${digits.slice(3)}`;
}

/**
 * One participant's side of the exchange. Not safe for concurrent use: the caller applies events one at a
 * time (CallEncryption's queue does).
 */
export class SafetyCodeExchange {
  private counter = 0;
  private epoch?: Uint8Array<ArrayBuffer>;
  private value?: Uint8Array<ArrayBuffer>;
  private revealed = false;
  private code?: string;
  private readonly peers = new Map<string, PeerRound>();

  constructor(
    private readonly ownPublicKey: Uint8Array<ArrayBuffer>,
    /** Seals and sends (resolving once sent, so that a commitment always leaves before its reveal). */
    private readonly send: (to: string, message: SafetyMessage) => Promise<void>,
  ) {}

  /** The code of the current round, once it is complete. */
  current(): string | undefined {
    return this.code;
  }

  /** The participants changed (everyone else, by id): a new round with a fresh value. */
  async newRound(others: Map<string, Uint8Array<ArrayBuffer>>): Promise<void> {
    for (const [id, peer] of [...this.peers]) {
      if (!others.has(id) || !equalBytes(others.get(id)!, peer.publicKey)) this.peers.delete(id);
    }
    for (const [id, publicKey] of others) {
      const peer = this.peers.get(id);
      if (!peer) this.peers.set(id, { publicKey, commits: [], reveals: [], usedCounter: -1 });
      else if (peer.fixed) peer.usedCounter = Math.max(peer.usedCounter, peer.fixed.counter);
    }
    for (const peer of this.peers.values()) {
      peer.fixed = undefined;
      peer.value = undefined;
    }
    this.counter++;
    this.epoch = await epochOf([this.ownPublicKey, ...[...this.peers.values()].map((p) => p.publicKey)]);
    this.value = crypto.getRandomValues(new Uint8Array(SAFETY_VALUE_BYTES));
    this.revealed = false;
    this.code = undefined;
    const commitment = await commitmentOf(this.epoch, this.counter, this.value, this.ownPublicKey);
    const commit: SafetyMessage = { type: 'commit', epoch: this.epoch, counter: this.counter, value: commitment };
    await Promise.all([...this.peers.keys()].map((id) => this.send(id, commit)));
    await this.progress();
  }

  /** A commit or reveal from another participant (already known to have come from it: the seal says so). */
  async received(from: string, message: SafetyMessage): Promise<void> {
    const peer = this.peers.get(from);
    if (!peer) return;
    const list = message.type === 'commit' ? peer.commits : peer.reveals;
    list.push({ epoch: message.epoch, counter: message.counter, value: message.value });
    if (list.length > HELD_PER_PEER) list.shift();
    await this.progress();
  }

  /** Takes whatever the round can take now: commitments (before we reveal), then values, then the code. */
  private async progress(): Promise<void> {
    const epoch = this.epoch;
    if (!epoch || !this.value) return;
    if (!this.revealed) {
      for (const peer of this.peers.values()) {
        // The newest commitment for this set of participants that our previous rounds did not use.
        const candidates = peer.commits.filter((c) => equalBytes(c.epoch, epoch) && c.counter > peer.usedCounter);
        if (candidates.length) peer.fixed = candidates.reduce((a, b) => (b.counter > a.counter ? b : a));
      }
      if (![...this.peers.values()].every((p) => p.fixed)) return;
      this.revealed = true;
      const reveal: SafetyMessage = { type: 'reveal', epoch, counter: this.counter, value: this.value };
      await Promise.all([...this.peers.keys()].map((id) => this.send(id, reveal)));
    }
    for (const peer of this.peers.values()) {
      if (peer.value || !peer.fixed) continue;
      for (const r of peer.reveals) {
        if (r.counter !== peer.fixed.counter || !equalBytes(r.epoch, epoch)) continue;
        if (equalBytes(await commitmentOf(epoch, r.counter, r.value, peer.publicKey), peer.fixed.value)) peer.value = r.value;
      }
    }
    if (this.code || ![...this.peers.values()].every((p) => p.value)) return;
    this.code = await safetyCode([
      { publicKey: this.ownPublicKey, value: this.value },
      ...[...this.peers.values()].map((p) => ({ publicKey: p.publicKey, value: p.value! })),
    ]);
  }
}
