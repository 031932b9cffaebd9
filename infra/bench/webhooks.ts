/*
 * bench:webhooks - what webhooks cost the waiting room, and how fast an EHR hears. Three organizations on
 * one server (real Redis, mediasoup, the outbox and its deliverer): one with no endpoint (the baseline),
 * one whose endpoint answers at once, one whose endpoint never answers (held until the 10 s timeout).
 * Visitors are admitted in turn across the three (rotating order, so each gets early and late turns alike)
 * and the professional's admission round trip is timed: the ratio to the baseline is what an endpoint,
 * quick or dead, adds to an admission. Then the answering endpoint's delivery latency (event time -> the
 * EHR has the request) while the dead one holds delivery slots, and a burst's throughput.
 *
 *   npm run bench:webhooks [-- --admissions 60] [--warmup 5] [--burst 2000] [--smoke]
 */
import {
  addMember,
  ask,
  createOrganization,
  joinWaitingRoom,
  memberApi,
  professionalSocket,
  sessionCookieFor,
  startTestServer,
  type ProfessionalClient,
  type TestOrganization,
} from '../../signaling/src/test-support/test-server.ts';
import { sessionCookieName } from '../../signaling/src/http/request-guards.ts';
import { TestReceiver } from '../../signaling/src/webhooks/test-receiver.ts';
import { consultationEventTypes } from '../../signaling/protocol/index.ts';
import { percentile, summary } from './stats.ts';
import { benchArgs } from './size.ts';

const { admissions, warmup, burst } = benchArgs({ admissions: [60, 2], warmup: [5, 1], burst: [2000, 20] }).size;

const server = await startTestServer({
  env: { LOG_LEVEL: 'warn', JOIN_LIMIT_PER_MINUTE: '100000000', MEDIA_WORKERS: '1', WEBHOOK_ALLOWED_ADDRESS_RANGES: '127.0.0.0/8', WEBHOOK_ALLOW_PLAIN_HTTP: 'true' },
});
const quick = await TestReceiver.start();
const dead = await TestReceiver.start();
const heardAt = new Map<string, number>();
quick.behaviour = (r) => {
  heardAt.set(r.event.id, Date.now());
  return 200;
};
dead.behaviour = () => 'hold';

type Setup = 'none' | 'quick' | 'dead';
interface Side {
  org: TestOrganization;
  pro: ProfessionalClient;
  samples: number[];
}
const sides = {} as Record<Setup, Side>;
try {
  for (const setup of ['none', 'quick', 'dead'] as const) {
    const org = await createOrganization(server.services, { name: `Bench Clinic ${setup}` });
    if (setup !== 'none') {
      const admin = await addMember(server.services, org.org.id, { role: 'admin' });
      const api = await memberApi(server, org.org.id, admin.id);
      const made = await api.call('POST', '/api/admin/webhooks', { url: (setup === 'quick' ? quick : dead).url, events: [...consultationEventTypes] });
      if (made.status !== 201) throw new Error(`endpoint: ${made.status} ${JSON.stringify(made.body)}`);
    }
    const cookie = `${sessionCookieName(false)}=${await sessionCookieFor(server, org.org.id, org.professional.id)}`;
    sides[setup] = { org, pro: await professionalSocket(server, cookie), samples: [] };
  }

  const setups: Setup[] = ['none', 'quick', 'dead'];
  for (let i = 0; i < warmup + admissions; i++) {
    for (let k = 0; k < setups.length; k++) {
      const setup = setups[(i + k) % setups.length]!;
      const { org, pro, samples } = sides[setup];
      const visit = await joinWaitingRoom(server, org.room.slug, `Bench Visitor ${i}`);
      const t0 = performance.now();
      const admitted = await ask(pro, 'queue:admit', { visitorId: visit.visitorId });
      const took = performance.now() - t0;
      if (!admitted.ok) throw new Error(JSON.stringify(admitted));
      if (i >= warmup) samples.push(took);
      await ask(pro, 'call:hang-up', { callId: admitted.callId });
    }
  }
  const base = percentile(sides.none.samples, 50);
  console.log('admission round trip (queue:admit -> ack), same run, rotating order:');
  for (const setup of setups) {
    const p50 = percentile(sides[setup].samples, 50);
    console.log(`  ${setup.padEnd(5)} endpoint: ${summary(sides[setup].samples)}  p50 ratio to none: ${(p50 / base).toFixed(2)}`);
  }
  console.log(`  the dead endpoint was sent ${dead.received.length} requests, answered none`);

  // Delivery latency of the quick endpoint's events from the admissions above (the dead one held slots meanwhile).
  const quickEvents = quick.received.map((r) => heardAt.get(r.event.id)! - Date.parse(r.event.time));
  console.log(`quick endpoint, event -> EHR has it, during the admissions: ${summary(quickEvents)}`);

  // A burst: events emitted as fast as the server takes them, to the quick endpoint.
  const before = quick.received.length;
  const t0 = performance.now();
  const orgId = sides.quick.org.org.id;
  await Promise.all(Array.from({ length: burst }, (_, n) => server.services.events.emit(orgId, 'visitor.arrived', { consultationId: null, visitorId: `${n}`.padStart(32, '0') })));
  const queued = performance.now() - t0;
  await quick.waitFor((r) => r.length >= before + burst, `${burst} burst deliveries`, 120_000);
  const all = performance.now() - t0;
  const burstLatency = quick.received.slice(before).map((r) => heardAt.get(r.event.id)! - Date.parse(r.event.time));
  console.log(`burst of ${burst} events: into the outbox in ${queued.toFixed(0)} ms (${((burst / queued) * 1000).toFixed(0)}/s); all delivered in ${all.toFixed(0)} ms (${((burst / all) * 1000).toFixed(0)}/s); event -> EHR p50 ${percentile(burstLatency, 50).toFixed(0)} ms, p99 ${percentile(burstLatency, 99).toFixed(0)} ms`);
  console.log(`bench:webhooks: admission p50 with a quick endpoint ${(percentile(sides.quick.samples, 50) / base).toFixed(2)}x, with a dead one ${(percentile(sides.dead.samples, 50) / base).toFixed(2)}x the baseline (${base.toFixed(1)} ms)`);
} finally {
  for (const side of Object.values(sides)) side.pro.disconnect();
  await quick.close();
  await dead.close();
  await server.close();
}
