import { expect } from 'chai';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import { waitForMedia } from './browser.ts';
import { consultationSuite } from './consultation.ts';
import { freePortRange } from '../../signaling/src/test-support/free-port.ts';

const portBase = await freePortRange(2);

/*
 * A firewall opened for RTC_PORT_BASE .. RTC_PORT_BASE + MEDIA_WORKERS - 1 is enough: a whole call in
 * real Chromium, and every transport the SFU made for it, use only those ports.
 */
describe('a consultation on the fixed media ports (WebRtcServer per worker, real Chromium)', function () {
  this.timeout(120_000);
  const transports: types.WebRtcTransport[] = [];
  const watch = (worker: types.Worker) =>
    worker.observer.on('newrouter', (router) =>
      router.observer.on('newtransport', (t) => {
        if (t.constructor.name === 'WebRtcTransport') transports.push(t as types.WebRtcTransport);
      }),
    );
  mediasoup.observer.on('newworker', watch);
  after(() => {
    mediasoup.observer.off('newworker', watch);
  });
  const suite = consultationSuite('Firewall Clinic', undefined, { MEDIA_WORKERS: '2', RTC_PORT_BASE: String(portBase) });

  it('video and sound both ways, and every transport of the call is connected on the configured ports only', async () => {
    const pro = await suite.scene.professionalLogsIn();
    const visitor = await suite.scene.visitorChecksIn('Frida Brannmur');
    await pro.getByRole('button', { name: 'Admit Frida Brannmur' }).click();
    await waitForMedia(visitor, (m) => m.framesDecoded > 0 && m.totalAudioEnergy > 0, 'visitor receives video and audio');
    await waitForMedia(pro, (m) => m.framesDecoded > 0 && m.totalAudioEnergy > 0, 'professional receives video and audio');

    const live = transports.filter((t) => !t.closed);
    expect(live.length, 'the call has a send and a receive transport per person').to.be.at.least(4);
    const allowed = [portBase, portBase + 1];
    for (const t of live) {
      for (const c of t.iceCandidates) expect(allowed, `offered ${c.protocol} ${c.port}`).to.include(c.port);
      const [stats] = await t.getStats();
      if (!stats?.iceSelectedTuple) continue; // the dashboard's spare transport of a ready call, never used
      expect(allowed, `in use: ${JSON.stringify(stats.iceSelectedTuple)}`).to.include(stats.iceSelectedTuple.localPort);
    }
    expect(live.filter((t) => t.iceState === 'connected' || t.iceState === 'completed').length).to.be.at.least(4);
    // And in the browsers: every selected pair's remote end is one of those ports.
    for (const page of [visitor, pro]) {
      const ports = await page.evaluate(async () => {
        const out: number[] = [];
        for (const pc of (window as unknown as { __peerConnections: RTCPeerConnection[] }).__peerConnections) {
          if (pc.connectionState !== 'connected') continue;
          const stats = new Map<string, Record<string, unknown>>();
          (await pc.getStats()).forEach((s: Record<string, unknown>) => stats.set(s.id as string, s));
          for (const s of stats.values()) {
            if (s.type !== 'transport' || !s.selectedCandidatePairId) continue;
            const pair = stats.get(s.selectedCandidatePairId as string)!;
            out.push(stats.get(pair.remoteCandidateId as string)!.port as number);
          }
        }
        return out;
      });
      expect(ports.length).to.be.at.least(2);
      for (const p of ports) expect(allowed).to.include(p);
    }
    await pro.getByRole('button', { name: 'End the call' }).click();
    await visitor.getByRole('heading', { name: 'The consultation has ended' }).waitFor();
  });
});
