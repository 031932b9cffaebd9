import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { waitForMedia } from './browser.ts';
import { consultationSuite } from './consultation.ts';
import { startCoturn, type TestCoturn } from '../../signaling/src/test-support/coturn.ts';
import { turnCredential } from '../../signaling/src/turn/turn-credentials.ts';

/** The local and remote candidate types of every connected peer connection's selected pair. */
function selectedPairs(page: Page): Promise<{ local: string; remote: string; protocol: string }[]> {
  return page.evaluate(async () => {
    const pcs = (window as unknown as { __peerConnections?: RTCPeerConnection[] }).__peerConnections ?? [];
    const pairs: { local: string; remote: string; protocol: string }[] = [];
    for (const pc of pcs) {
      if (pc.connectionState !== 'connected') continue;
      const stats = new Map<string, Record<string, unknown>>();
      (await pc.getStats()).forEach((s: Record<string, unknown>) => stats.set(s.id as string, s));
      for (const s of stats.values()) {
        if (s.type !== 'transport' || !s.selectedCandidatePairId) continue;
        const pair = stats.get(s.selectedCandidatePairId as string)!;
        const local = stats.get(pair.localCandidateId as string)!;
        const remote = stats.get(pair.remoteCandidateId as string)!;
        pairs.push({ local: local.candidateType as string, remote: remote.candidateType as string, protocol: local.protocol as string });
      }
    }
    return pairs;
  });
}

/*
 * A visitor on a network that allows nothing but a TURN server: both browsers send and receive only through
 * a real coturn (ICE_TRANSPORT_POLICY=relay), with the credentials the server hands out.
 */
/** A real coturn for the suite, and the suite's server told of it; call inside a describe, before its tests. */
function suiteWithCoturn(name: string, policy: 'all' | 'relay') {
  let turn: TestCoturn | undefined;
  const env: Record<string, string> = {};
  // Registered before the suite's hooks, so the server starts with the TURN server's settings.
  before(async () => {
    turn = await startCoturn({ allowedPeerIps: ['127.0.0.1'] });
    Object.assign(env, { TURN_SECRET: turn.secret, TURN_URLS: turn.urls.join(','), ICE_TRANSPORT_POLICY: policy });
  });
  const suite = consultationSuite(name, undefined, env);
  after(async () => {
    await turn?.stop();
  });
  return Object.assign(suite, { turn: () => turn! });
}

/** An init script standing for a network where only the TURN server is reachable: the browser may use nothing but the relay. */
const onlyTurnReachable = `(() => {
  const Native = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Native {
    constructor(config, ...rest) {
      super({ ...(config || {}), iceTransportPolicy: 'relay' }, ...rest);
    }
  };
})();`;

describe('the device check says whether the network needed the relay (real coturn, Chromium, SFU)', function () {
  this.timeout(120_000);
  const suite = suiteWithCoturn('Path Clinic', 'all');

  it('a network that reaches the SFU gets "directly"; one that reaches only the TURN server gets the relay, and a rating', async () => {
    const open = await suite.scene.page();
    await open.goto(`${suite.server.url}/check`);
    const direct = open.locator('.network-path');
    await direct.waitFor({ timeout: 30_000 });
    expect(await direct.getAttribute('data-path')).to.equal('direct');
    await open.getByText('Your network reaches our video server directly.').waitFor();

    const closed = await suite.scene.page(onlyTurnReachable);
    await closed.goto(`${suite.server.url}/check`);
    const relayed = closed.locator('.network-path');
    await relayed.waitFor({ timeout: 30_000 });
    expect(await relayed.getAttribute('data-path')).to.equal('relay');
    await closed.getByText('Your network reaches our video server only through our relay server. The call will work, with a little more delay.').waitFor();
    expect(await closed.locator('.network-rating').getAttribute('data-rating')).to.be.oneOf(['good', 'fair', 'poor']);
  });
});

/** What a browser gathers from the TURN server with this credential: relay candidates, and the errors it was given. */
function gatherRelay(page: Page, server: { urls: string[]; username: string; credential: string }) {
  return page.evaluate(async (iceServer) => {
    const pc = new RTCPeerConnection({ iceServers: [iceServer], iceTransportPolicy: 'relay' });
    const relays: string[] = [];
    const errors: number[] = [];
    pc.addEventListener('icecandidate', (e) => e.candidate && relays.push(e.candidate.type ?? ''));
    pc.addEventListener('icecandidateerror', (e) => errors.push((e as RTCPeerConnectionIceErrorEvent).errorCode));
    pc.createDataChannel('probe');
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise<void>((resolve) => {
      if (pc.iceGatheringState === 'complete') return resolve();
      pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
      setTimeout(resolve, 10_000);
    });
    pc.close();
    return { relays, errors };
  }, server);
}

describe('a browser with an expired or forged TURN credential gets no relay (real coturn, Chromium)', function () {
  this.timeout(120_000);
  const suite = suiteWithCoturn('Expiry Clinic', 'relay');

  it('a fresh credential gathers a relay; an expired or forged one gathers none, and coturn answers 401', async () => {
    const page = await suite.scene.page();
    await page.goto(`${suite.server.url}/check`);
    const urls = [suite.turn().urls[0]!];
    const fresh = await gatherRelay(page, { urls, ...turnCredential(suite.turn().secret, 3600) });
    expect(fresh.relays).to.include('relay');

    const expired = await gatherRelay(page, { urls, ...turnCredential(suite.turn().secret, 3600, Date.now() - 2 * 3600_000) });
    expect(expired.relays, 'expired').to.deep.equal([]);
    expect(expired.errors, 'expired').to.include(401);

    const forged = await gatherRelay(page, { urls, ...turnCredential('not the secret, but just as long as the real one', 3600) });
    expect(forged.relays, 'forged').to.deep.equal([]);
    expect(forged.errors, 'forged').to.include(401);
  });
});

describe('a consultation through the TURN relay only (real coturn, Chromium, mediasoup)', function () {
  this.timeout(120_000);
  const suite = suiteWithCoturn('Relay Clinic', 'relay');

  it('video and sound flow both ways, and every connection of both browsers goes through the relay', async () => {
    const pro = await suite.scene.professionalLogsIn();
    const visitor = await suite.scene.visitorChecksIn('Rita Relé');
    await pro.getByRole('button', { name: 'Admit Rita Relé' }).click();
    await waitForMedia(visitor, (m) => m.framesDecoded > 0 && m.totalAudioEnergy > 0, 'visitor receives video and audio through the relay');
    await waitForMedia(pro, (m) => m.framesDecoded > 0 && m.totalAudioEnergy > 0, 'professional receives video and audio through the relay');
    for (const [who, page] of [['visitor', visitor], ['professional', pro]] as const) {
      const pairs = await selectedPairs(page);
      expect(pairs.length, `${who}: connected transports`).to.be.at.least(2);
      for (const pair of pairs) expect(pair.local, `${who}: ${JSON.stringify(pair)}`).to.equal('relay');
    }
    await pro.getByRole('button', { name: 'End the call' }).click();
    await visitor.getByRole('heading', { name: 'The consultation has ended' }).waitFor();
  });
});
