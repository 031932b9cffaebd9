import { expect } from 'chai';
import { chatKeyIndexOf, chatKeyOf, openChat, sealChat } from './chat-crypto.ts';
import { generateKeyPair, openMediaKey, pairKey, randomMediaKey, ratchet, sealMediaKey } from './key-exchange.ts';

describe('e2ee key exchange, safety code and chat keys', () => {
  it('a media key sealed by A for B opens only at B, only as from A to B, in that call', async () => {
    const [a, b, c] = await Promise.all([generateKeyPair(), generateKeyPair(), generateKeyPair()]);
    expect(a.publicKey).to.have.length(65);
    const ab = await pairKey(a, b.publicKey, 'call-1');
    const ba = await pairKey(b, a.publicKey, 'call-1');
    const key = randomMediaKey(9);
    const blob = await sealMediaKey(ab, 'call-1', 'A', 'B', key);
    const opened = await openMediaKey(ba, 'call-1', 'A', 'B', blob);
    expect(opened!.index).to.equal(9);
    expect([...opened!.raw]).to.deep.equal([...key.raw]);

    expect(await openMediaKey(ba, 'call-1', 'B', 'A', blob), 'turned around').to.equal(null);
    expect(await openMediaKey(ba, 'call-2', 'A', 'B', blob), 'another call').to.equal(null);
    expect(await openMediaKey(await pairKey(c, a.publicKey, 'call-1'), 'call-1', 'A', 'B', blob), 'a third key pair').to.equal(null);
    expect(await openMediaKey(await pairKey(b, a.publicKey, 'call-2'), 'call-1', 'A', 'B', blob), 'pair key of another call').to.equal(null);
    expect(await openMediaKey(ba, 'call-1', 'A', 'B', 'not base64 !'), 'garbage').to.equal(null);
  });

  it('ratcheting moves the index on and gives an unrelated-looking key, the same everywhere', async () => {
    const key = randomMediaKey(255);
    const next = await ratchet(key);
    expect(next.index).to.equal(0);
    expect(Buffer.from(next.raw).equals(Buffer.from(key.raw))).to.equal(false);
    expect(Buffer.from((await ratchet(key)).raw).equals(Buffer.from(next.raw))).to.equal(true);
  });

  it('chat opens with the sender\'s chat key only; the chat key is not the media key', async () => {
    const media = randomMediaKey(3);
    const key = await chatKeyOf(media);
    const blob = await sealChat(key, media.index, 'call-1', 'A', 'Hei, hører du meg? 👋');
    expect(chatKeyIndexOf(blob)).to.equal(3);
    expect(await openChat(key, 'call-1', 'A', blob)).to.equal('Hei, hører du meg? 👋');
    expect(await openChat(key, 'call-1', 'B', blob), 'another sender').to.equal(null);
    const mediaAsChatKey = await crypto.subtle.importKey('raw', media.raw, 'AES-GCM', false, ['decrypt']);
    expect(await openChat(mediaAsChatKey, 'call-1', 'A', blob), 'the media key itself').to.equal(null);
  });
});
