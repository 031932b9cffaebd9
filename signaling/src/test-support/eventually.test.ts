import { expect } from 'chai';
import { eventually } from './eventually.ts';

/* The suite's one way to wait: it must never fall through silently, and its failure must say what failed. */
describe('eventually(): waits for a check, and fails loudly when it never passes', function () {
  it('resolves with the check’s value once it passes, retrying false answers and thrown assertions', async () => {
    let tries = 0;
    const value = await eventually(
      () => {
        tries++;
        if (tries === 1) return false;
        if (tries === 2) expect(tries, 'tries').to.equal(3);
        return 'there';
      },
      { what: 'the third try', intervalMs: 1 },
    );
    expect(value).to.equal('there');
    expect(tries).to.equal(3);
  });

  it('throws on timeout, naming what was awaited and the last failure', async () => {
    let caught: unknown;
    try {
      await eventually(async () => expect(1, 'the count').to.equal(2), { what: 'the count to reach two', timeoutMs: 50, intervalMs: 5 });
    } catch (error) {
      caught = error;
    }
    expect(caught).to.be.instanceOf(Error);
    expect((caught as Error).message).to.match(/^the count to reach two: did not happen within 50 ms \(last try: the count: expected 1 to equal 2\)$/);
  });

  it('a check that stays false is named as such', async () => {
    const failure = await eventually(() => false, { what: 'never', timeoutMs: 20, intervalMs: 5 }).catch((error: Error) => error.message);
    expect(failure).to.equal('never: did not happen within 20 ms (last try: the check was false)');
  });
});
