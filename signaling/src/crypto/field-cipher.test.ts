import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { FieldCipher, FieldCipherError, fieldContext, parseFieldKeys } from './field-cipher.ts';
import { loadConfig } from '../config.ts';

const keySetting = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;
const cipherOf = (setting: string) => FieldCipher.fromSetting(setting)!;
const here = fieldContext.visitorNationalId('a'.repeat(32), 'b'.repeat(32));

/** Replaces one base64url part of a stored value with the same bytes, one bit flipped. */
function flipBit(stored: string, part: number): string {
  const parts = stored.split('.');
  const bytes = Buffer.from(parts[part]!, 'base64url');
  bytes[0]! ^= 0x01;
  parts[part] = bytes.toString('base64url');
  return parts.join('.');
}

describe('field cipher: AES-256-GCM for personal fields at rest, keys from the environment', () => {
  it('round trip: what is stored is not the plaintext, and reads back as it was (also non-ASCII)', () => {
    const cipher = cipherOf(keySetting('k1'));
    for (const value of ['01017012345', 'Ærlig Åse Øyen', '']) {
      const stored = cipher.encrypt(value, here);
      expect(stored).to.match(/^f1\.k1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]{22}$/);
      if (value) expect(stored).not.to.include(value);
      expect(cipher.decrypt(stored, here)).to.equal(value);
    }
  });

  it('a new IV each time: the same value stored twice looks different', () => {
    const cipher = cipherOf(keySetting('k1'));
    expect(cipher.encrypt('01017012345', here)).not.to.equal(cipher.encrypt('01017012345', here));
  });

  it('rotation: the first key encrypts, every listed key decrypts; a removed key no longer does', () => {
    const oldKey = keySetting('old');
    const newKey = keySetting('new');
    const before = cipherOf(oldKey);
    const storedBefore = before.encrypt('01017012345', here);
    const rotated = cipherOf(`${newKey},${oldKey}`);
    expect(rotated.decrypt(storedBefore, here)).to.equal('01017012345');
    expect(rotated.needsRewrap(storedBefore)).to.equal(true);
    const storedAfter = rotated.encrypt('01017012345', here);
    expect(storedAfter.split('.')[1]).to.equal('new');
    expect(rotated.needsRewrap(storedAfter)).to.equal(false);
    const oldGone = cipherOf(newKey);
    expect(oldGone.decrypt(storedAfter, here)).to.equal('01017012345');
    expect(() => oldGone.decrypt(storedBefore, here)).to.throw(FieldCipherError, /no key old/);
  });

  it('tampering with the IV, the ciphertext or the tag, or relabelling the key id, is refused', () => {
    const a = keySetting('a');
    const b = `b:${a.split(':')[1]}`; // the same key bytes under another id
    const cipher = cipherOf(`${a},${b}`);
    const stored = cipher.encrypt('01017012345', here);
    for (const part of [2, 3, 4]) expect(() => cipher.decrypt(flipBit(stored, part), here), `part ${part}`).to.throw(FieldCipherError);
    const relabelled = stored.replace(/^f1\.a\./, 'f1.b.');
    expect(() => cipher.decrypt(relabelled, here)).to.throw(FieldCipherError, /does not authenticate/);
    expect(() => cipher.decrypt(stored.slice(0, -2), here)).to.throw(FieldCipherError);
  });

  it('a value copied to another visitor or another field does not decrypt', () => {
    const cipher = cipherOf(keySetting('k1'));
    const orgId = randomBytes(16).toString('hex');
    const stored = cipher.encrypt('01017012345', fieldContext.visitorNationalId(orgId, 'a'.repeat(32)));
    expect(() => cipher.decrypt(stored, fieldContext.visitorNationalId(orgId, 'c'.repeat(32)))).to.throw(FieldCipherError);
    expect(() => cipher.decrypt(stored, fieldContext.bankIdClientSecret(orgId))).to.throw(FieldCipherError);
    expect(() => cipher.decrypt(stored, fieldContext.visitorNationalId(randomBytes(16).toString('hex'), 'a'.repeat(32)))).to.throw(FieldCipherError);
  });

  it('a stored value without a (known) key id, or not a stored value at all, is refused without echoing it', () => {
    const cipher = cipherOf(keySetting('k1'));
    const stored = cipher.encrypt('01017012345', here);
    const [, , iv, ct, tag] = stored.split('.');
    for (const bad of [`f1..${iv}.${ct}.${tag}`, `f1.${iv}.${ct}.${tag}`, `f1.zz.${iv}.${ct}.${tag}`, '01017012345', '', `f2.k1.${iv}.${ct}.${tag}`]) {
      let error: unknown;
      try {
        cipher.decrypt(bad, here);
      } catch (e) {
        error = e;
      }
      expect(error, bad).to.be.instanceOf(FieldCipherError);
      expect((error as Error).message).not.to.include('01017012345');
    }
  });

  it('DATA_ENCRYPTION_KEYS: malformed settings stop the server at start, naming the key id but never the key', () => {
    const secretBytes = randomBytes(16).toString('base64');
    for (const bad of [`k1:${secretBytes}`, 'k1', ':' + randomBytes(32).toString('base64'), 'bad id!:' + randomBytes(32).toString('base64'), `${keySetting('k1')},${keySetting('k1')}`, ' , ']) {
      expect(() => parseFieldKeys(bad), bad).to.throw(Error);
      let message = '';
      try {
        loadConfig({ PUBLIC_ORIGIN: 'http://127.0.0.1:3000', REDIS_URL: 'redis://127.0.0.1:1', ADDRESS_HASH_KEY: 'x'.repeat(32), DATA_ENCRYPTION_KEYS: bad });
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message, bad).to.match(/DATA_ENCRYPTION_KEYS/);
      expect(message).not.to.include(secretBytes);
    }
    expect(parseFieldKeys(`${keySetting('k1')}, ${keySetting('k-2_b')}`).map((k) => k.id)).to.deep.equal(['k1', 'k-2_b']);
  });
});
