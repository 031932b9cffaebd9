import type { Browser, Page } from 'playwright-core';
import { build } from 'esbuild';
import type { types } from 'mediasoup';
import { deviceRtpCapabilities, type TestServer } from '../../../signaling/src/test-support/test-server.ts';
import type { AudioWindow, CapturedFrame, SpyStart } from './spy-page.ts';

let bundle: Promise<string> | undefined;

/** The spy page's script, bundled once per run (esbuild comes with vite). */
function spyScript(): Promise<string> {
  bundle ??= build({
    entryPoints: [new URL('./spy-page.ts', import.meta.url).pathname],
    bundle: true,
    // A classic script: it also goes into app pages through evaluate(), which their CSP does not stop.
    format: 'iife',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  }).then((r) => r.outputFiles[0]!.text);
  return bundle;
}

export interface Spy {
  page: Page;
  participantId: string;
  stats(): Promise<{ framesDecoded: number; videoPackets: number; audioPackets: number }>;
  takeFrames(): Promise<CapturedFrame[]>;
  listen(ms: number): Promise<AudioWindow[]>;
  close(): Promise<void>;
}

let spies = 0;

/**
 * Someone with access to the SFU: joins the call's router directly (no signaling, no keys) and consumes
 * what the participants send, in a Chromium page of its own.
 */
export async function spyOnCall(browser: Browser, server: TestServer, callId: string, mode: SpyStart['mode'], from?: string): Promise<Spy> {
  const router = server.services.media.existingRouter(callId);
  if (!router) throw new Error('no media for that call');
  const participantId = `spy:${++spies}`;
  const context = await browser.newContext();
  const page = await context.newPage();
  const script = await spyScript();
  await page.route(`${server.url}/__spy`, (route) =>
    route.fulfill({ contentType: 'text/html', body: '<!doctype html><html><body></body></html>' }),
  );
  await page.exposeFunction('spyConnect', (transportId: string, dtls: unknown) =>
    router.connectTransport(participantId, transportId, dtls as types.DtlsParameters),
  );
  await page.exposeFunction('spyResume', (consumerId: string) => router.resumeConsumer(participantId, consumerId));
  await page.goto(`${server.url}/__spy`);
  await page.evaluate(script);
  const joined = await router.join(participantId, await deviceRtpCapabilities(server));
  const consumers = joined.consumers.filter((c) => !from || c.producerParticipantId === from);
  if (consumers.length === 0) throw new Error(`nothing to consume from ${from ?? 'anyone'}: ${joined.consumers.map((c) => c.producerParticipantId).join(', ') || 'no producers'}`);
  const start: SpyStart = {
    routerRtpCapabilities: server.services.media.rtpCapabilities as never,
    transport: joined.recvTransport as never,
    consumers: consumers as never,
    mode,
  };
  await page.evaluate((s) => window.startSpy(s), start);
  return {
    page,
    participantId,
    stats: () => page.evaluate(() => window.spyStats()),
    takeFrames: () => page.evaluate(() => window.takeFrames()),
    listen: (ms) => page.evaluate((m) => window.listenToAudio(m), ms),
    close: async () => {
      router.leave(participantId);
      await context.close();
    },
  };
}

/** What a person hears from the remote tile of an app page (its <video> element plays the sound). */
export async function listenInApp(page: Page, ms: number): Promise<AudioWindow[]> {
  await page.evaluate(await spyScript());
  return page.evaluate((m) => window.listenToElement('figure.remote video', m), ms);
}

/**
 * How many beeps of Chromium's fake microphone were heard: it beeps twice a second, a clear tone whose
 * strongest frequency measures 388-409 Hz here, standing 45-58 dB above the spectrum's average. A beep
 * is a run of at least three 20 ms windows like that (a real beep gives four or five). Ciphertext
 * decoded as Opus is loud noise whose strongest frequency wanders; it now and then gives two such
 * windows in a row, never (in 20 runs) three.
 */
export function beepsHeard(windows: AudioWindow[]): number {
  let beeps = 0;
  let run = 0;
  for (const w of windows) {
    const beep = w.rms > 0.03 && w.peakHz > 370 && w.peakHz < 430 && w.tonality >= 44;
    run = beep ? run + 1 : 0;
    if (run === 3) beeps++;
  }
  return beeps;
}
