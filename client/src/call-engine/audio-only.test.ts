import { expect } from 'chai';
import type { NetworkRating } from '../../../signaling/protocol/index.ts';
import { AudioOnlyPolicy } from './audio-only.ts';

const run = (ratings: NetworkRating[], policy = new AudioOnlyPolicy()) => ratings.map((r) => policy.next(r));

describe('audio only on a poor connection (the policy)', () => {
  it('starts after two poor measurements in a row, not after one', () => {
    expect(run(['poor', 'good', 'poor', 'fair', 'poor'])).to.deep.equal([null, null, null, null, null]);
    expect(run(['good', 'poor', 'poor', 'poor'])).to.deep.equal([null, null, true, null]);
  });

  it('ends after three good measurements in a row; fair ones do not count and do not reset it to video', () => {
    const policy = new AudioOnlyPolicy();
    run(['poor', 'poor'], policy);
    expect(run(['good', 'good', 'fair', 'good', 'good', 'poor', 'good'], policy)).to.deep.equal([null, null, null, null, null, null, null]);
    expect(policy.on).to.equal(true);
    expect(run(['good', 'good'], policy)).to.deep.equal([null, false]);
    expect(policy.on).to.equal(false);
  });

  it('asking for video anyway ends it and keeps it off for the rest of the call', () => {
    const policy = new AudioOnlyPolicy();
    run(['poor', 'poor'], policy);
    expect(policy.override()).to.equal(false);
    expect(run(['poor', 'poor', 'poor'], policy)).to.deep.equal([null, null, null]);
    expect(new AudioOnlyPolicy().override(), 'nothing to end').to.equal(null);
  });
});
