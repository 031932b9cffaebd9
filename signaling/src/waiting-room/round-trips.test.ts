import { expect } from 'chai';
import {
  ask,
  createOrganization,
  deviceRtpCapabilities,
  joinWaitingRoom,
  professionalSocket,
  sessionCookieFor,
  startTestServer,
  testPublicKey,
  visitorSocket,
  type TestOrganization,
  type TestServer,
} from '../test-support/test-server.ts';
import { sessionCookieName } from '../http/request-guards.ts';
import { countRoundTrips, settled, type RoundTripCounter } from '../test-support/round-trips.ts';

/*
 * The Redis round trips of one visitor's whole path, counted at our Redis client (a pipeline or a script is
 * one): check-in, the waiting socket, the visit's status, the admission, both joins of the call and its end.
 * The count is deterministic, so it has a budget rather than a benchmark: a change that adds a round trip to
 * this path fails here and has to say why, or find one to give back.
 */
// Where they go (the second visitor, caches warm): check-in 2 (the rate limit with the room's link; the
// arrival script, with whether the organization has a webhook endpoint); the waiting socket 1 (its token,
// with the presence mark whose script checks the token itself); the visit's status 1 (the visitor with
// their place); the admission 3 (member and visitor, the script, then the audit entries with the webhook
// check); the two joins 2; the end 3 (the call with its members, the script, then the audit entry with
// the webhook event's reads).
const BUDGET = 12;

describe('Redis round trips per visitor (real server and Redis)', function () {
  let server: TestServer;
  let org: TestOrganization;
  let counter: RoundTripCounter;

  before(async () => {
    // Background work on the same connection would land in the count now and then: the purge and the
    // dashboard's session checks. The webhook deliverer runs here as in production, with its polls on a
    // connection of its own (this organization has no endpoint, so the path gives it nothing to do).
    server = await startTestServer({ env: { PURGE_INTERVAL_SECONDS: '3600', SESSION_CHECK_SECONDS: '300', WEBHOOK_RETRY_BASE_MS: '20' } });
    org = await createOrganization(server.services);
  });
  after(async () => {
    counter?.stop();
    await server?.close();
  });

  it(`takes at most ${BUDGET} round trips from check-in to the call's end`, async () => {
    const caps = await deviceRtpCapabilities(server);
    const cookie = `${sessionCookieName(false)}=${await sessionCookieFor(server, org.org.id, org.professional.id)}`;
    const pro = await professionalSocket(server, cookie);
    counter = countRoundTrips(server.services.redis);
    const counts: number[] = [];
    // The second visitor finds the caches warm, as every visitor after the first one in a busy room does.
    for (const name of ['Round Trip', 'Second Visitor']) {
      await settled(counter);
      counter.reset();
      const visit = await joinWaitingRoom(server, org.room.slug, name);
      const visitor = await visitorSocket(server, visit.visitorToken);
      const status = await ask(visitor, 'visit:status', {});
      expect(status.ok).to.equal(true);
      const admitted = await ask(pro, 'queue:admit', { visitorId: visit.visitorId });
      if (!admitted.ok) throw new Error(JSON.stringify(admitted));
      const joins = [
        await ask(visitor, 'call:join', { callId: admitted.callId, rtpCapabilities: caps, publicKey: testPublicKey }),
        await ask(pro, 'call:join', { callId: admitted.callId, rtpCapabilities: caps, publicKey: testPublicKey }),
      ];
      expect(joins.map((j) => j.ok)).to.deep.equal([true, true]);
      expect((await ask(pro, 'call:hang-up', { callId: admitted.callId })).ok).to.equal(true);
      await settled(counter);
      counts.push(counter.trips);
      console.log(`      ${name}: ${counter.trips} round trips, ${counter.commandCount} commands: ${counter.breakdown()}`);
      visitor.disconnect();
    }
    expect(counts[1], 'round trips of a visitor in a room already in use').to.be.at.most(BUDGET);
  });
});
