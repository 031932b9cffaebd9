import { expect } from 'chai';
import { newSecret, sameSecret } from './ids.ts';

/*
 * Secrets a client sends (the CSRF token) are compared in constant time: `!==` stops at the first
 * different character, so the time it takes tells how much of a guess was right. Timing is not measured
 * here (too noisy on a shared machine to prove anything); what is checked is that every shape a header can
 * take is answered, and only the exact secret passes.
 */
describe('sameSecret: comparing a secret a client sent', () => {
  it('only the exact secret passes, whatever its length or shape; nothing throws', () => {
    const secret = newSecret();
    expect(sameSecret(secret, secret)).to.equal(true);
    expect(sameSecret(`${secret}`.slice(0, -1), secret), 'a prefix').to.equal(false);
    expect(sameSecret(`${secret}x`, secret), 'longer').to.equal(false);
    expect(sameSecret('', secret), 'empty').to.equal(false);
    expect(sameSecret(undefined, secret), 'absent').to.equal(false);
    expect(sameSecret([secret, secret], secret), 'a header sent twice').to.equal(false);
    expect(sameSecret(`${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`, secret), 'last character differs').to.equal(false);
    expect(sameSecret('', ''), 'no secret to match (an embedded session has none)').to.equal(false);
  });
});
