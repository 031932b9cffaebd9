import { expect } from 'chai';
import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { coturnArgs } from '../../../infra/turn/coturn.ts';
import { startCoturn, type TestCoturn } from '../test-support/coturn.ts';
import { TurnClient } from '../../../infra/turn/turn-client.ts';
import { loadConfig } from '../config.ts';
import { iceServersFor, turnCredential } from './turn-credentials.ts';

/*
 * The credentials the server hands to browsers, checked by a real coturn configured as in production:
 * it relays for a fresh one, refuses an expired or forged one, and relays only to the SFU's address.
 */
describe('TURN: coturn takes our time-limited credentials and relays only to the SFU', function () {
  this.timeout(30_000);
  let turn: TestCoturn;
  const clients: TurnClient[] = [];
  const client = (username: string, credential: string) => {
    const c = new TurnClient('127.0.0.1', turn.port, username, credential);
    clients.push(c);
    return c;
  };

  before(async () => {
    // The SFU of the tests listens on 127.0.0.1: that address only.
    turn = await startCoturn({ allowedPeerIps: ['127.0.0.1'], tls: true });
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  after(async () => {
    await turn?.stop();
  });

  it('a credential from the server gets a relay, and a permission to the SFU address', async () => {
    const { username, credential } = turnCredential(turn.secret, 3600);
    const c = client(username, credential);
    expect(await c.allocate()).to.deep.equal({ result: 'success' });
    expect(await c.createPermission('127.0.0.1', 40000)).to.deep.equal({ result: 'success' });
  });

  it('turns: over TLS, its certificate checked: a fresh credential gets a relay there, an expired one does not', async () => {
    const overTls = { ca: turn.tls!.cert };
    const fresh = turnCredential(turn.secret, 3600);
    const c = new TurnClient('127.0.0.1', turn.tls!.port, fresh.username, fresh.credential, overTls);
    clients.push(c);
    expect(await c.allocate()).to.deep.equal({ result: 'success' });
    expect(await c.createPermission('10.0.0.5')).to.deep.equal({ result: 403 });
    const old = turnCredential(turn.secret, 3600, Date.now() - 2 * 3600_000);
    const e = new TurnClient('127.0.0.1', turn.tls!.port, old.username, old.credential, overTls);
    clients.push(e);
    expect(await e.allocate()).to.deep.equal({ result: 401 });
  });

  it('an expired credential is refused', async () => {
    const { username, credential } = turnCredential(turn.secret, 3600, Date.now() - 2 * 3600_000);
    expect(Number(username.split(':')[0]) * 1000).to.be.below(Date.now());
    expect(await client(username, credential).allocate()).to.deep.equal({ result: 401 });
  });

  it('a forged credential is refused: another secret, a changed expiry, or a made-up password', async () => {
    const other = turnCredential(randomBytes(32).toString('hex'), 3600);
    expect(await client(other.username, other.credential).allocate(), 'signed with another secret').to.deep.equal({ result: 401 });

    const real = turnCredential(turn.secret, 60);
    const [expiry, random] = real.username.split(':');
    const longer = `${Number(expiry) + 86_400}:${random}`;
    expect(await client(longer, real.credential).allocate(), 'expiry pushed back').to.deep.equal({ result: 401 });

    expect(await client(real.username, randomBytes(20).toString('base64')).allocate(), 'password guessed').to.deep.equal({ result: 401 });
    // The same credential, untouched, works: the refusals above are about the forgery, not the client.
    expect(await client(real.username, real.credential).allocate()).to.deep.equal({ result: 'success' });
  });

  it('peers outside the SFU address cannot be relayed to: private ranges, other loopback addresses, public hosts', async () => {
    const { username, credential } = turnCredential(turn.secret, 3600);
    const c = client(username, credential);
    expect(await c.allocate()).to.deep.equal({ result: 'success' });
    for (const peer of ['10.0.0.5', '192.168.1.10', '172.16.0.1', '169.254.169.254', '127.0.0.2', '8.8.8.8', '0.0.0.0', '224.0.0.1']) {
      expect(await c.createPermission(peer), peer).to.deep.equal({ result: 403 });
    }
  });

  it('the server hands browsers TURN servers with a credential valid at most an hour, HMAC over the user name', () => {
    const secret = randomBytes(32).toString('hex');
    const config = loadConfig({
      PUBLIC_ORIGIN: 'http://127.0.0.1:3000',
      REDIS_URL: 'redis://127.0.0.1:6379',
      ADDRESS_HASH_KEY: 'a'.repeat(64),
      DATA_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      TURN_SECRET: secret,
      TURN_URLS: 'turn:turn.example.no:3478?transport=udp, turn:turn.example.no:3478?transport=tcp,turns:turn.example.no:443?transport=tcp',
    });
    const { iceServers, iceTransportPolicy } = iceServersFor(config.turn);
    expect(iceTransportPolicy).to.equal('all');
    expect(iceServers).to.have.length(1);
    const server = iceServers![0]!;
    expect(server.urls).to.deep.equal(['turn:turn.example.no:3478?transport=udp', 'turn:turn.example.no:3478?transport=tcp', 'turns:turn.example.no:443?transport=tcp']);
    const [expiry, random] = server.username.split(':');
    const left = Number(expiry) - Date.now() / 1000;
    expect(left).to.be.within(3590, 3600);
    expect(Buffer.from(random!, 'base64url')).to.have.length(16);
    expect(server.credential).to.equal(createHmac('sha1', secret).update(server.username).digest('base64'));
    expect(iceServersFor(config.turn).iceServers![0]!.username, 'a new user each time').to.not.equal(server.username);
  });

  it('bad TURN settings stop the start with a message naming them', () => {
    const base = {
      PUBLIC_ORIGIN: 'http://127.0.0.1:3000',
      REDIS_URL: 'redis://127.0.0.1:6379',
      ADDRESS_HASH_KEY: 'a'.repeat(64),
      DATA_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    };
    const secret = 'b'.repeat(64);
    const refused = (env: Record<string, string>) => {
      try {
        loadConfig({ ...base, ...env });
      } catch (error) {
        return (error as Error).message;
      }
      return 'accepted';
    };
    expect(refused({ TURN_SECRET: secret })).to.match(/TURN_SECRET: TURN_SECRET and TURN_URLS go together/);
    expect(refused({ TURN_URLS: 'turn:t.example.no:3478' })).to.match(/TURN_SECRET and TURN_URLS go together/);
    expect(refused({ TURN_SECRET: 'short', TURN_URLS: 'turn:t.example.no:3478' })).to.match(/TURN_SECRET/);
    expect(refused({ TURN_SECRET: secret, TURN_URLS: 'https://t.example.no' })).to.match(/TURN_URLS/);
    expect(refused({ TURN_SECRET: secret, TURN_URLS: 'turn:t.example.no:3478', TURN_CREDENTIAL_SECONDS: '7200' })).to.match(/TURN_CREDENTIAL_SECONDS/);
    expect(refused({ ICE_TRANSPORT_POLICY: 'relay' })).to.match(/ICE_TRANSPORT_POLICY: ICE_TRANSPORT_POLICY=relay needs a TURN server/);
    expect(refused({ ICE_TRANSPORT_POLICY: 'sometimes' })).to.match(/ICE_TRANSPORT_POLICY/);
    expect(refused({ RTC_PORT_BASE: '45000' }), 'inside the per-transport range').to.match(/RTC_PORT_BASE: .*outside RTC_MIN_PORT/);
    expect(refused({ RTC_PORT_BASE: '65535', MEDIA_WORKERS: '2' })).to.match(/RTC_PORT_BASE/);
    expect(refused({ RTC_PORT_BASE: '39000', TURN_SECRET: secret, TURN_URLS: 'turn:t.example.no:3478', ICE_TRANSPORT_POLICY: 'relay' })).to.equal('accepted');
  });

  it("production's turnserver.conf keeps every restriction the tested coturn runs with, and TLS on 443", () => {
    const conf = fs.readFileSync(new URL('../../../infra/turn/turnserver.conf', import.meta.url), 'utf8');
    const lines = new Set(conf.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')));
    const tested = coturnArgs({ listenIp: '127.0.0.1', port: 3478, relayMinPort: 50000, relayMaxPort: 50999, secret: 'x', realm: 'r', allowedPeerIps: ['127.0.0.1'], stateDir: '/tmp' });
    // What differs by place (addresses, secret, files) or exists only for a loopback SFU is set per host.
    const perHost = /^(-n|--(listening-ip|relay-ip|static-auth-secret|realm|pidfile|userdb|log-file|allowed-peer-ip|allow-loopback-peers|no-tls)\b)/;
    for (const arg of tested.filter((a) => !perHost.test(a))) expect(lines, arg).to.include(arg.slice(2));
    for (const line of ['listening-port=3478', 'tls-listening-port=443', 'use-auth-secret', 'no-tlsv1', 'no-tlsv1_1']) expect(lines).to.include(line);
    expect([...lines].some((l) => l.startsWith('allow-loopback-peers') || l.startsWith('no-auth') || l.startsWith('cli-password'))).to.equal(false);
  });
});
