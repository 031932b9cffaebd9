import { expect } from 'chai';
import { AddressGuard, AddressRefused, parseAddressRanges } from './address-guard.ts';

describe('webhook address guard (ipaddr.js)', () => {
  const strict = new AddressGuard([]);

  it('allows public unicast addresses only, unless a range is allowed', () => {
    for (const a of ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946', '8.8.8.8']) expect(strict.isAllowed(a), a).to.equal(true);
    for (const a of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.0.1', '169.254.169.254', '100.100.100.200', '0.0.0.0', '255.255.255.255', '224.0.0.1',
      '::1', '::', 'fe80::1', 'fd00:ec2::254', '::ffff:127.0.0.1', '::ffff:10.0.0.1', '2002:7f00:1::1', '64:ff9b::a00:1', 'not-an-address']) {
      expect(strict.isAllowed(a), a).to.equal(false);
    }
    const tests = new AddressGuard(parseAddressRanges('127.0.0.0/8, 10.20.0.0/16'));
    expect(tests.isAllowed('127.0.0.1')).to.equal(true);
    expect(tests.isAllowed('::ffff:127.0.0.1')).to.equal(true);
    expect(tests.isAllowed('10.20.5.5')).to.equal(true);
    expect(tests.isAllowed('10.21.0.1')).to.equal(false);
    expect(tests.isAllowed('::1')).to.equal(false);
    expect(() => parseAddressRanges('127.0.0.0/8,localhost')).to.throw(/not a CIDR range/);
  });

  it('checks every address a name resolves to, and answers the one checked (a rebinding name gains nothing)', async () => {
    const answers = [['93.184.216.34'], ['127.0.0.1'], ['93.184.216.34', '10.0.0.1'], []];
    const guard = new AddressGuard([], async () => answers.shift()!);
    expect(await guard.addressFor('ehr.example')).to.equal('93.184.216.34');
    for (const reason of ['forbidden_address', 'forbidden_address', 'dns']) {
      const err = await guard.addressFor('ehr.example').catch((e: unknown) => e);
      expect(err).to.be.instanceOf(AddressRefused);
      expect((err as AddressRefused).reason).to.equal(reason);
    }
    expect(await guard.addressFor('[2606:2800:220:1:248:1893:25c8:1946]')).to.equal('2606:2800:220:1:248:1893:25c8:1946');
  });
});
