import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { eventually } from '../../signaling/src/test-support/eventually.ts';

/** Flags measured to work for headless WebRTC here (shared/notes/browser-e2e.md). */
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection',
  '--autoplay-policy=no-user-gesture-required',
];

declare global {
  interface Window {
    /** Every RTCPeerConnection the page made, once recordPeerConnections runs in it. */
    __peerConnections?: RTCPeerConnection[];
  }
}

/** `flags`: CHROMIUM_FLAGS unless a suite needs other fake devices (two cameras, for instance). */
export function launchChromium(flags: string[] = CHROMIUM_FLAGS): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: flags, headless: true });
}

/** An init script: the page records every RTCPeerConnection it creates (read by inboundMedia and the like). */
export function recordPeerConnections(): void {
  const Native = window.RTCPeerConnection;
  const all: RTCPeerConnection[] = [];
  window.__peerConnections = all;
  window.RTCPeerConnection = class extends Native {
    constructor(...args: ConstructorParameters<typeof RTCPeerConnection>) {
      super(...args);
      all.push(this);
    }
  } as typeof RTCPeerConnection;
}

/**
 * A browser context whose pages record every RTCPeerConnection they create, so a test can read the
 * same getStats() a person's browser has: decoded frames and audio energy. The app itself is unchanged.
 */
export async function newCallContext(browser: Browser, origin: string, init?: (() => void) | string): Promise<BrowserContext> {
  const context = await browser.newContext({ permissions: ['camera', 'microphone'], viewport: { width: 900, height: 700 } });
  await context.grantPermissions(['camera', 'microphone'], { origin });
  await context.addInitScript(recordPeerConnections);
  if (init) await context.addInitScript(init);
  return context;
}

/**
 * An init script making the page's camera fail as a browser does when it is blocked (NotAllowedError) or
 * missing (NotFoundError); the microphone still works.
 */
export function cameraFailsWith(errorName: 'NotAllowedError' | 'NotFoundError'): string {
  return `(() => {
    const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
    navigator.mediaDevices.getUserMedia = async (c) => {
      if (c && c.video) throw new DOMException('camera unavailable', ${JSON.stringify(errorName)});
      return original(c);
    };
  })();`;
}

export interface InboundMedia {
  framesDecoded: number;
  totalAudioEnergy: number;
  openConnections: number;
}

/** What the page is receiving right now, over its open peer connections. */
export function inboundMedia(page: Page): Promise<InboundMedia> {
  return page.evaluate(async () => {
    const pcs = window.__peerConnections ?? [];
    const result = { framesDecoded: 0, totalAudioEnergy: 0, openConnections: 0 };
    for (const pc of pcs) {
      if (pc.connectionState === 'closed' || pc.signalingState === 'closed') continue;
      result.openConnections++;
      const stats = await pc.getStats();
      stats.forEach((s: { type: string; kind?: string; framesDecoded?: number; totalAudioEnergy?: number }) => {
        if (s.type !== 'inbound-rtp') return;
        if (s.kind === 'video') result.framesDecoded += s.framesDecoded ?? 0;
        if (s.kind === 'audio') result.totalAudioEnergy += s.totalAudioEnergy ?? 0;
      });
    }
    return result;
  });
}

/** How many incoming video streams (one per other participant's camera or screen) have decoded over `minFrames` frames. */
export function videoStreamsDecoding(page: Page, minFrames = 10): Promise<number> {
  return page.evaluate(async (min) => {
    const pcs = window.__peerConnections ?? [];
    let n = 0;
    for (const pc of pcs) {
      if (pc.connectionState === 'closed' || pc.signalingState === 'closed') continue;
      (await pc.getStats()).forEach((s: { type: string; kind?: string; framesDecoded?: number }) => {
        if (s.type === 'inbound-rtp' && s.kind === 'video' && (s.framesDecoded ?? 0) > min) n++;
      });
    }
    return n;
  }, minFrames);
}

/** Polls until `check` holds for the page's inbound media, or fails with the last figures seen. */
export async function waitForMedia(page: Page, check: (m: InboundMedia) => boolean, what: string, timeoutMs = 20_000): Promise<InboundMedia> {
  try {
    return await eventually(
      async () => {
        const last = await inboundMedia(page);
        if (!check(last)) throw new Error(`last seen ${JSON.stringify(last)}`);
        return last;
      },
      { what, timeoutMs, intervalMs: 200 },
    );
  } catch (error) {
    // What each incoming stream got, so a stall says whether packets came, key frames came, or nothing did.
    throw new Error(`${(error as Error).message}; incoming streams: ${JSON.stringify(await incomingStreams(page).catch(() => 'unreadable'))}`);
  }
}

function incomingStreams(page: Page): Promise<unknown[]> {
  return page.evaluate(async () => {
    const out: unknown[] = [];
    for (const pc of window.__peerConnections ?? []) {
      (await pc.getStats()).forEach((s: Record<string, unknown>) => {
        if (s.type !== 'inbound-rtp') return;
        const { kind, mid, packetsReceived, framesReceived, framesDecoded, keyFramesDecoded, pliCount, firCount, framesDropped } = s;
        out.push({ pc: pc.connectionState, kind, mid, packetsReceived, framesReceived, framesDecoded, keyFramesDecoded, pliCount, firCount, framesDropped });
      });
    }
    return out;
  });
}

/** Saves a screenshot of every open page, so a failing browser test shows what the person saw. */
export async function screenshotAll(contexts: BrowserContext[], label: string): Promise<string[]> {
  const dir = `${process.env.TMPDIR ?? '/tmp'}/consult-e2e`;
  const files: string[] = [];
  let i = 0;
  for (const context of contexts) {
    for (const page of context.pages()) {
      const file = `${dir}/${label.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}-${i++}.png`;
      await page.screenshot({ path: file }).then(() => files.push(file), () => undefined);
    }
  }
  return files;
}
