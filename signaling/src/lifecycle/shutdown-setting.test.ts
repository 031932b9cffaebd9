import { expect } from 'chai';
import { loadConfig } from '../config.ts';

/* SHUTDOWN_GRACE_SECONDS: a bad value stops the start with a message naming it. */
describe('SHUTDOWN_GRACE_SECONDS setting', () => {
  const base = { PUBLIC_ORIGIN: 'http://127.0.0.1:3000', REDIS_URL: 'redis://127.0.0.1:1', ADDRESS_HASH_KEY: 'x'.repeat(32), DATA_ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}` };

  it('defaults to 25 s and takes 0 (no grace) to 3600', () => {
    expect(loadConfig(base).SHUTDOWN_GRACE_SECONDS).to.equal(25);
    expect(loadConfig({ ...base, SHUTDOWN_GRACE_SECONDS: '0' }).SHUTDOWN_GRACE_SECONDS).to.equal(0);
    expect(loadConfig({ ...base, SHUTDOWN_GRACE_SECONDS: '3600' }).SHUTDOWN_GRACE_SECONDS).to.equal(3600);
  });

  for (const bad of ['-1', '3601', '2.5', 'soon']) {
    it(`refuses ${bad}, naming the setting`, () => {
      expect(() => loadConfig({ ...base, SHUTDOWN_GRACE_SECONDS: bad })).to.throw(/SHUTDOWN_GRACE_SECONDS/);
    });
  }
});
