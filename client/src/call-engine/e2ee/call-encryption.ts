import { mark } from '../marks.ts';
import type { PeerInfo } from '../../../../signaling/protocol/index.ts';
import type { FramePipe } from '../frame-pipe.ts';
import { fromBase64Url, toBase64Url } from './bytes.ts';
import { chatKeyIndexOf, chatKeyOf, openChat, sealChat } from './chat-crypto.ts';
import {
  generateKeyPair,
  openPairMessage,
  pairKey,
  randomMediaKey,
  ratchet,
  sealMediaKey,
  sealPairMessage,
  type MediaKey,
  type ParticipantKeyPair,
} from './key-exchange.ts';
import { SafetyCodeExchange, type SafetyMessage } from './safety-code.ts';
import { MadeAhead } from '../made-ahead.ts';

interface Peer {
  publicKey: Uint8Array<ArrayBuffer>;
  /** The key both of us seal key messages with. */
  pair: Promise<CryptoKey>;
}

export interface EncryptionSnapshot {
  /** Six digits from everyone's public keys and random values (see safety-code.ts); undefined until known. */
  safetyCode?: string;
  /** The index of the key this browser sends with now (changes when anyone joins or leaves). */
  keyIndex?: number;
  /** Participants whose media this browser cannot decrypt. */
  undecryptable: string[];
  /**
   * Participants who, while in the call, came back with another public key: the safety code compared
   * before says nothing about the new key, so it must be compared again (until acknowledged).
   */
  keyChanged: string[];
}

/** Sealed media keys go out through this (the `e2ee:key` event). */
export type KeySender = (to: string, blob: string) => Promise<unknown>;

/** Keys kept per other participant for chat messages still in flight across a key change. */
const KEYS_KEPT = 4;

/**
 * This browser's side of a call's end-to-end encryption, on the page: its key pair, its own media
 * key and the others', who gets which key when people join and leave, the safety code, and chat. The
 * frames themselves are sealed and opened in the frame pipe, which gets keys from here.
 *
 * Key changes: anyone joining makes every sender ratchet its key (the newcomer cannot go back to
 * earlier frames); anyone leaving makes every sender pick a new random key and send it to those who
 * remain (the one who left cannot read what follows). New keys go to every remaining participant.
 */
const nextKeyPair = new MadeAhead(generateKeyPair);

/**
 * Makes the key pair of the next call ahead of it (while the visitor waits), so that joining does not
 * wait for it. Each pair serves one call only: the next call takes it and a new one is made.
 */
export function prepareKeyPair(): void {
  nextKeyPair.prepare();
}

export class CallEncryption {
  private readonly keyPair: Promise<ParticipantKeyPair>;
  /** This call's public key, encoded, once known without waiting (a pair prepared ahead of the call). */
  private publicKeyText?: string;
  private selfId?: string;
  private sendKey?: MediaKey;
  private readonly peers = new Map<string, Peer>();
  private readonly received = new Map<string, Map<number, MediaKey>>();
  private readonly undecryptable = new Set<string>();
  private readonly keyChanged = new Set<string>();
  private safety?: SafetyCodeExchange;
  /** Every change applies in the order its event came, one at a time (each involves async crypto). */
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly callId: string,
    private readonly pipe: FramePipe,
    private readonly sendKeyMessage: KeySender,
    private readonly changed: () => void,
  ) {
    const taken = nextKeyPair.take();
    this.keyPair = taken?.pending ?? generateKeyPair();
    if (taken?.made) this.publicKeyText = toBase64Url(taken.made.publicKey);
  }

  async publicKey(): Promise<string> {
    return (this.publicKeyText ??= toBase64Url((await this.keyPair).publicKey));
  }

  /** The public key if it is known already: then a join sends it without giving the page a turn first. */
  publicKeyNow(): string | undefined {
    return this.publicKeyText;
  }

  snapshot(): EncryptionSnapshot {
    return {
      safetyCode: this.safety?.current(),
      keyIndex: this.sendKey?.index,
      undecryptable: [...this.undecryptable],
      keyChanged: [...this.keyChanged],
    };
  }

  /** After each join (and rejoin): who is already there. A fresh random key, sent to each of them. */
  joined(self: PeerInfo, others: PeerInfo[]): Promise<void> {
    return this.serially(async () => {
      this.selfId = self.id;
      for (const id of [...this.peers.keys()]) if (!others.some((o) => o.id === id)) this.dropPeer(id, 'left');
      for (const peer of others) await this.addPeer(peer);
      await this.useKey(randomMediaKey(this.sendKey ? this.sendKey.index + 1 : 0));
      this.safety ??= new SafetyCodeExchange((await this.keyPair).publicKey, (to, m) => this.sendSafety(to, m));
      await this.newSafetyRound();
    });
  }

  peerJoined(peer: PeerInfo): Promise<void> {
    return this.serially(async () => {
      if (!this.sendKey || peer.id === this.selfId) return;
      await this.addPeer(peer);
      await this.useKey(await ratchet(this.sendKey));
      mark('key-sent-to-newcomer');
      await this.newSafetyRound();
    });
  }

  peerLeft(peerId: string): Promise<void> {
    return this.serially(async () => {
      if (!this.sendKey || !this.peers.has(peerId)) return;
      this.dropPeer(peerId, 'left');
      await this.useKey(randomMediaKey(this.sendKey.index + 1));
      await this.newSafetyRound();
    });
  }

  keyMessage(from: string, blob: string): Promise<void> {
    return this.serially(async () => {
      const peer = this.peers.get(from);
      if (!peer || !this.selfId) return;
      const message = await openPairMessage(await peer.pair, this.callId, from, this.selfId, blob);
      // A message that does not open was not sealed by that participant for us: ignored, and that
      // participant's frames stay undecryptable (or the safety code unknown), which the call shows.
      if (!message) return;
      if (message.type !== 'key') {
        const before = this.safety?.current();
        await this.safety?.received(from, message);
        if (this.safety?.current() !== before) this.changed();
        return;
      }
      const key = message.key;
      const keys = this.received.get(from) ?? new Map<number, MediaKey>();
      this.received.set(from, keys);
      keys.delete(key.index);
      keys.set(key.index, key);
      while (keys.size > KEYS_KEPT) keys.delete(keys.keys().next().value!);
      this.pipe.setReceiveKey(from, key.index, key.raw);
      mark('key-received');
    });
  }

  /** The people in the call compared the new safety code: the key-change warnings go. */
  keyChangeCompared(): void {
    if (!this.keyChanged.size) return;
    this.keyChanged.clear();
    this.changed();
  }

  /** From the frame pipe: a participant's frames started or stopped decrypting. */
  decrypting(participantId: string, ok: boolean): void {
    if (ok === !this.undecryptable.has(participantId)) return;
    if (ok) this.undecryptable.delete(participantId);
    else this.undecryptable.add(participantId);
    this.changed();
  }

  async sealChat(text: string): Promise<string> {
    await this.queue;
    const key = this.sendKey;
    if (!key || !this.selfId) throw new Error('the call is not encrypted yet');
    return sealChat(await chatKeyOf(key), key.index, this.callId, this.selfId, text);
  }

  /** The text, or null if it cannot be opened (not from that participant, or from before we joined). */
  async openChat(from: string, blob: string): Promise<string | null> {
    await this.queue;
    const index = chatKeyIndexOf(blob);
    const key = index === null ? undefined : this.received.get(from)?.get(index);
    return key ? openChat(await chatKeyOf(key), this.callId, from, blob) : null;
  }

  close(): void {
    this.closed = true;
    this.sendKey = undefined;
    this.received.clear();
    this.peers.clear();
    this.pipe.close();
  }

  private serially(step: () => Promise<void>): Promise<void> {
    const run = this.queue.then(() => (this.closed ? undefined : step()));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async addPeer(peer: PeerInfo): Promise<void> {
    const publicKey = fromBase64Url(peer.publicKey);
    const known = this.peers.get(peer.id);
    if (known && toBase64Url(known.publicKey) === peer.publicKey) return;
    // Back with a new key pair while we still count them as present (a reload, or a key swapped by
    // whoever relays the keys): what it held before is gone, and the code compared before no longer
    // vouches for this key, which the call says until the new code has been compared.
    if (known) {
      this.dropPeer(peer.id, 'new-key');
      this.keyChanged.add(peer.id);
    }
    const pair = pairKey(await this.keyPair, publicKey, this.callId);
    pair.catch(() => undefined);
    this.peers.set(peer.id, { publicKey, pair });
  }

  private dropPeer(peerId: string, why: 'left' | 'new-key'): void {
    if (why === 'left') this.keyChanged.delete(peerId);
    this.peers.delete(peerId);
    this.received.delete(peerId);
    this.undecryptable.delete(peerId);
    this.pipe.forget(peerId);
  }

  /** Seals the new key for everyone present and sends it, then starts sealing frames with it. */
  private async useKey(key: MediaKey): Promise<void> {
    const from = this.selfId!;
    const sealed = await Promise.all(
      [...this.peers].map(async ([to, peer]) => {
        try {
          return { to, blob: await sealMediaKey(await peer.pair, this.callId, from, to, key) };
        } catch {
          return undefined; // a public key that is not a P-256 point: that participant gets nothing
        }
      }),
    );
    for (const s of sealed) if (s) this.sendKeyMessage(s.to, s.blob).catch(() => undefined);
    this.sendKey = key;
    this.pipe.setSendKey(key.index, key.raw);
    this.changed();
  }

  /** The participants changed: the safety code starts over (known again once everyone has taken part). */
  private async newSafetyRound(): Promise<void> {
    await this.safety?.newRound(new Map([...this.peers].map(([id, p]) => [id, p.publicKey])));
    this.changed();
  }

  private async sendSafety(to: string, message: SafetyMessage): Promise<void> {
    const peer = this.peers.get(to);
    if (!peer || !this.selfId) return;
    try {
      const blob = await sealPairMessage(await peer.pair, this.callId, this.selfId, to, message);
      this.sendKeyMessage(to, blob).catch(() => undefined);
    } catch {
      // A public key that is not a P-256 point: that participant takes no part, and no code appears.
    }
  }
}
