import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { startRedis, type TestRedis } from '../../signaling/src/test-support/redis-server.ts';
import { createOrganization, startTestServer, type TestOrganization, type TestServer } from '../../signaling/src/test-support/test-server.ts';
import { launchChromium, videoStreamsDecoding, inboundMedia } from './browser.ts';
import { Consultation } from './consultation.ts';
import { ServerProcess } from './server-process.ts';
import { eventually } from '../../signaling/src/test-support/eventually.ts';

/*
 * The signaling process hosting a call is killed with SIGKILL (no shutdown: its sockets and its mediasoup
 * worker just vanish) and started again on the same Redis and address. Nobody is lost: the waiting
 * visitor keeps their place, and the two in the call get their media back without being admitted again.
 */
describe('kill -9 of the signaling process during a call (real Chromium, Redis, mediasoup, two processes in turn)', function () {
  this.timeout(180_000);
  let redis: TestRedis;
  let helper: TestServer;
  let server: ServerProcess;
  let org: TestOrganization;
  let browser: Browser;
  let scene: Consultation;

  before(async () => {
    redis = await startRedis();
    // In this process, for setting up data only (organization, login sessions); browsers use the child's.
    helper = await startTestServer({ redis });
    org = await createOrganization(helper.services, { name: 'Restart Clinic' });
    // The same keys as the helper: members' names and e-mail addresses are sealed, their index keyed.
    const { ADDRESS_HASH_KEY, DATA_ENCRYPTION_KEYS } = helper.services.config;
    server = await ServerProcess.start(redis.url, { ADDRESS_HASH_KEY, DATA_ENCRYPTION_KEYS });
    browser = await launchChromium();
    scene = new Consultation(browser, { ...helper, url: server.url, origin: server.url }, org);
  });
  after(async () => {
    await scene?.end();
    await browser?.close();
    await server?.stop();
    await helper?.close();
    await redis?.stop();
  });
  afterEach(async function () {
    await scene.end(this.currentTest?.state === 'failed' ? this.currentTest.title : undefined);
    if (this.currentTest?.state === 'failed') console.log(server.logs.join('').slice(-3000));
  });

  it('the call comes back by itself, with media both ways, and the waiting visitor keeps their place', async () => {
    const pro = await scene.professionalLogsIn();
    const ola = await scene.visitorChecksIn('Ola Nordmann');
    const kari = await scene.visitorChecksIn('Kari Nordmann');
    await pro.getByRole('button', { name: 'Admit Ola Nordmann' }).click();
    for (const page of [ola, pro]) {
      await eventually(async () => expect(await videoStreamsDecoding(page), 'decoding before the kill').to.equal(1), { what: 'video decoding before the kill', timeoutMs: 30_000, intervalMs: 200 });
    }

    await server.kill9();
    // The visitor in the call is told the connection went, and that it is being brought back.
    await ola.getByText('Connection lost, reconnecting…').waitFor({ timeout: 20_000 });

    await server.run();
    const reachable = Date.now();
    // Media flows again both ways on new connections, with no new admission.
    const back: Record<string, number> = {};
    await Promise.all(
      [['visitor', ola], ['professional', pro]].map(async ([who, page]) => {
        const p = page as typeof ola;
        await eventually(
          async () => {
            const m = await inboundMedia(p);
            if (!(m.openConnections > 0 && (await videoStreamsDecoding(p, 5)) >= 1 && m.totalAudioEnergy > 0)) throw new Error(JSON.stringify(m));
          },
          { what: `${who as string}: media after the restart`, timeoutMs: 30_000, intervalMs: 100 },
        );
        back[who as string] = Date.now() - reachable;
      }),
    );
    console.log(`      media back after the restart: visitor ${back.visitor} ms, professional ${back.professional} ms (from the new process listening)`);
    await ola.getByText('Connection lost, reconnecting…').waitFor({ state: 'detached' });

    // The waiting visitor is where they were: waiting, first in line, on the same visit.
    await kari.getByRole('heading', { name: 'You are in the waiting room' }).waitFor();
    await kari.getByText('You are next in line.').waitFor();
    const visitors = await redis.client.keys(`{org:${org.org.id}}:visitor:*`);
    const states = await Promise.all(visitors.map((k) => redis.client.hget(k, 'state')));
    expect(states.sort()).to.deep.equal(['in_call', 'waiting']);

    await pro.getByRole('button', { name: 'End the call' }).click();
    await ola.getByRole('heading', { name: 'The consultation has ended' }).waitFor();
  });
});
