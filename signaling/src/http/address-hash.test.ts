import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { io, type Socket } from 'socket.io-client';
import { NETWORK_CHECK_NAMESPACE } from '../../protocol/index.ts';
import { DailyKeyedHash, utcDayOf } from './address-hash.ts';
import { addressGroupOf, RateLimiter } from './rate-limiter.ts';
import { connectRedis } from '../redis/connection.ts';
import { startRedis, type TestRedis } from '../test-support/redis-server.ts';
import { dumpRedis } from '../test-support/redis-dump.ts';
import { createOrganization, deviceRtpCapabilities, postJson, startTestServer, type TestServer } from '../test-support/test-server.ts';

const secret = () => randomBytes(32).toString('hex');
const MIDNIGHT = Date.parse('2026-03-14T00:00:00.000Z');

/*
 * Client addresses reach rate limits and abuse control only as a keyed hash whose key changes each UTC day,
 * derived from ADDRESS_HASH_KEY and the date: every process agrees without talking to the others, and
 * nothing kept links an address across days or shows it in clear.
 */
describe('client addresses as a daily-rotating keyed hash', function () {
  it('the same address hashes the same all day, in every process with the same key, and differently from midnight UTC on', () => {
    const key = secret();
    let now = MIDNIGHT - 3600_000;
    const processA = new DailyKeyedHash(key, () => now);
    const processB = new DailyKeyedHash(key, () => now);
    const address = '203.0.113.195';

    const evening = processA.of(address);
    expect(processB.of(address), 'another process, no coordination').to.equal(evening);
    now = MIDNIGHT - 1;
    expect(processA.of(address), 'the last millisecond of the day').to.equal(evening);
    expect(processA.of('203.0.113.196'), 'another address').not.to.equal(evening);
    expect(new DailyKeyedHash(secret(), () => now).of(address), 'another deployment key').not.to.equal(evening);

    now = MIDNIGHT;
    const morning = processA.of(address);
    expect(morning, 'a new UTC day, a new key').not.to.equal(evening);
    expect(processB.of(address)).to.equal(morning);
    now = MIDNIGHT + 86_400_000 - 1;
    expect(processA.of(address)).to.equal(morning);
    expect(utcDayOf(MIDNIGHT - 1)).to.equal('2026-03-13');
    expect(evening + morning).not.to.include('203.0.113');
  });

  describe('the rate limiter over it (real Redis)', () => {
    let redis: TestRedis;
    before(async () => {
      redis = await startRedis();
    });
    after(async () => {
      await redis?.stop();
    });

    it('counts an address under the day’s hash; a window spanning midnight starts again (documented: counted twice)', async () => {
      let now = MIDNIGHT - 30_000;
      const client = connectRedis(redis.url);
      try {
        const limiter = new RateLimiter(client, secret(), () => now);
        const tries = async (n: number) => {
          const results: boolean[] = [];
          for (let i = 0; i < n; i++) results.push(await limiter.allow('join', '198.51.100.7', 2, 60_000));
          return results;
        };
        expect(await tries(3)).to.deep.equal([true, true, false]);
        const beforeMidnight = limiter.subject('198.51.100.7');
        now = MIDNIGHT + 1000; // still inside the same one-minute window
        expect(await tries(3), 'the new day’s hash has no count yet').to.deep.equal([true, true, false]);
        const keys = (await client.keys('rate:join:*')).sort();
        expect(keys).to.deep.equal([`rate:join:${beforeMidnight}`, `rate:join:${limiter.subject('198.51.100.7')}`].sort());
        for (const k of keys) expect(await client.pttl(k)).to.be.within(1, 60_000);
      } finally {
        client.disconnect();
      }
    });
  });

  describe('behind a trusted proxy, after requests from a known address (real server)', () => {
    let server: TestServer;
    const v4 = '203.0.113.195';
    const v6 = '2001:db8:85a3::8a2e:370:7334';

    before(async () => {
      server = await startTestServer({ env: { TRUST_PROXY: '1', JOIN_LIMIT_PER_MINUTE: '3', LOG_LEVEL: 'trace' } });
    });
    after(async () => {
      await server?.close();
    });

    it('limits count per address, yet no address appears in any Redis key or value, nor in the log', async () => {
      const org = await createOrganization(server.services);
      const from = (address: string) => ({ 'x-forwarded-for': address });
      const statuses: number[] = [];
      for (const address of [v4, v4, v4, v4, v6]) {
        const res = await postJson(server, '/api/visits', { roomSlug: org.room.slug, answers: { name: 'Ola Nordmann' } }, from(address));
        statuses.push(res.status);
        await res.body?.cancel();
      }
      expect(statuses, 'the fourth from one address is refused; another address is not').to.deep.equal([201, 201, 201, 429, 201]);
      for (const address of [v4, v6]) {
        const login = await postJson(server, '/api/auth/login', { email: org.professional.email, password: 'wrong password here' }, from(address));
        expect(login.status).to.equal(401);
        await login.body?.cancel();
        const unknown = await fetch(`${server.url}/api/rooms/no-such-room-anywhere`, { headers: from(address) });
        expect(unknown.status).to.equal(404);
        await unknown.body?.cancel();
      }
      // The network check's socket resolves the address by the same rule.
      const socket: Socket = io(`${server.url}${NETWORK_CHECK_NAMESPACE}`, {
        transports: ['websocket'],
        extraHeaders: { origin: server.origin, ...from(v4) },
        reconnection: false,
        forceNew: true,
      });
      try {
        const started = (await socket.timeout(10_000).emitWithAck('check:start', { rtpCapabilities: await deviceRtpCapabilities(server) })) as { ok: boolean };
        expect(started.ok).to.equal(true);
      } finally {
        socket.disconnect();
      }

      // The limits did see the addresses: under today's hash.
      const limiter = server.services.rateLimiter;
      const rateKeys = await server.redis.client.keys('rate:*');
      for (const expected of [`rate:join:${limiter.subject({ address: v4 })}`, `rate:join:${limiter.subject({ address: v6 })}`, `rate:login-address:${limiter.subject({ address: v6 })}`,
        `rate:unknown-room:${limiter.subject({ address: v4 })}`, `rate:network-check:${limiter.subject({ address: v4 })}`]) {
        expect(rateKeys).to.include(expected);
      }

      const forms = [v4, v6, '2001:db8:85a3::/64', '2001:db8:85a3:0:0:8a2e:370:7334', '2001:0db8:85a3:0000:0000:8a2e:0370:7334', '8a2e:370:7334', '203.0.113'];
      const dump = await dumpRedis(server.redis.client);
      const everything = JSON.stringify([...dump.entries()]).toLowerCase();
      for (const form of forms) expect(everything, `Redis holds ${form}`).not.to.include(form);
      const log = server.logs().join('\n').toLowerCase();
      expect(log).to.include('visitor joined the waiting room');
      for (const form of forms) expect(log, `the log holds ${form}`).not.to.include(form);
    });
  });

  /*
   * One host gets a whole IPv6 /64: counted per full address, a visitor could rotate through 2^64 of them.
   * Every per-address limit counts an IPv6 address by its /64, and an IPv4 address written as IPv6 as
   * the IPv4 address.
   */
  describe('IPv6 addresses of one /64 count as one address', () => {
    it('groups by /64, and ::ffff:a.b.c.d as a.b.c.d', () => {
      expect(addressGroupOf('2001:db8:85a3:7:1::1')).to.equal(addressGroupOf('2001:db8:85a3:7:ffff:ffff:ffff:ffff'));
      expect(addressGroupOf('2001:db8:85a3:7::1')).not.to.equal(addressGroupOf('2001:db8:85a3:8::1'));
      expect(addressGroupOf('::ffff:203.0.113.9')).to.equal(addressGroupOf('203.0.113.9'));
      expect(addressGroupOf('203.0.113.9')).not.to.equal(addressGroupOf('203.0.113.10'));
    });

    let server: TestServer;
    before(async () => {
      server = await startTestServer({
        env: { TRUST_PROXY: '1', JOIN_LIMIT_PER_MINUTE: '3', UNKNOWN_ROOM_LIMIT_PER_MINUTE: '3', LOGIN_LIMIT_PER_ADDRESS: '3', LOGIN_LIMIT_PER_ACCOUNT: '100', API_FAILED_AUTH_PER_ADDRESS_PER_MINUTE: '3', NETWORK_CHECK_LIMIT_PER_HOUR: '3' },
      });
    });
    after(async () => {
      await server?.close();
    });

    /** A different address of the /64 2001:db8:7:42::/64 (and of ::/64 beside it) for every request. */
    let host = 0;
    const inOurPrefix = () => ({ 'x-forwarded-for': `2001:db8:7:42:${(++host).toString(16)}:${host.toString(16)}::${host.toString(16)}` });
    const inNextPrefix = () => ({ 'x-forwarded-for': `2001:db8:7:43::${(++host).toString(16)}` });
    const statusOf = async (res: Response) => {
      await res.body?.cancel();
      return res.status;
    };

    it('joins, unknown rooms, logins, failed API authentications and network checks', async () => {
      const org = await createOrganization(server.services);
      const join = (from: Record<string, string>) => postJson(server, '/api/visits', { roomSlug: org.room.slug, answers: { name: 'Ola Nordmann' } }, from).then(statusOf);
      const unknownRoom = (from: Record<string, string>) => fetch(`${server.url}/api/rooms/no-such-room-anywhere`, { headers: from }).then(statusOf);
      const login = (from: Record<string, string>) => postJson(server, '/api/auth/login', { email: org.professional.email, password: 'wrong password here' }, from).then(statusOf);
      const api = (from: Record<string, string>) => fetch(`${server.url}/api/v1/consultations`, { headers: { ...from, authorization: 'Bearer not-a-key' } }).then(statusOf);
      for (const [name, attempt, ok] of [['join', join, 201], ['unknown room', unknownRoom, 404], ['login', login, 401], ['API authentication', api, 401]] as const) {
        const statuses = [];
        for (let i = 0; i < 4; i++) statuses.push(await attempt(inOurPrefix()));
        statuses.push(await attempt(inNextPrefix()));
        expect(statuses, name).to.deep.equal([ok, ok, ok, 429, ok]);
      }

      const checks = [];
      for (let i = 0; i < 4; i++) {
        const socket: Socket = io(`${server.url}${NETWORK_CHECK_NAMESPACE}`, {
          transports: ['websocket'],
          extraHeaders: { origin: server.origin, ...inOurPrefix() },
          reconnection: false,
          forceNew: true,
        });
        try {
          const started = (await socket.timeout(10_000).emitWithAck('check:start', { rtpCapabilities: await deviceRtpCapabilities(server) })) as { ok: boolean };
          checks.push(started.ok);
        } finally {
          socket.disconnect();
        }
      }
      expect(checks, 'network checks').to.deep.equal([true, true, true, false]);
    });
  });
});
