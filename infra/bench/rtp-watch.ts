import type { Page } from 'playwright-core';

/**
 * `bench:admit --rtp`: what the video's RTP did during an admission, as step marks beside the call
 * engine's: each key frame the page encoded or decoded, each key-frame request (PLI or FIR) it received
 * or sent, and its first video packet in and out. Read from getStats() every 10 ms until stopped (which
 * costs the page some of its time: the figures of a run with it are not the bench's), counted from the
 * values when the watch starts, over every peer connection each page made (recordPeerConnections).
 * `stop()` watches a little longer, for what follows the first frames (the receivers' own key-frame
 * requests), and resolves once each page's last reading is marked.
 */
export function watchRtp(pages: Page[]): { stop(): Promise<void> } {
  const watches = pages.map(watchPage);
  return {
    async stop() {
      await new Promise((r) => setTimeout(r, 300));
      await Promise.all(watches.map((stop) => stop()));
    },
  };
}

function watchPage(page: Page): () => Promise<void> {
  // A string, not a function: the bench runs under tsx, whose helpers a function's source would name.
  const watching = page.evaluate(`(async () => {
    window.__rtpWatchStop = false;
    const pcs = window.__peerConnections;
    const read = async () => {
      const c = {};
      const add = (k, v) => (c[k] = (c[k] ?? 0) + (typeof v === 'number' ? v : 0));
      for (const pc of pcs) {
        if (pc.connectionState === 'closed') continue;
        for (const s of (await pc.getStats()).values()) {
          if (s.kind !== 'video') continue;
          if (s.type === 'outbound-rtp') {
            add('key frame encoded', s.keyFramesEncoded);
            add('key-frame request received', (s.pliCount ?? 0) + (s.firCount ?? 0));
            add('video packet sent', s.packetsSent);
          } else if (s.type === 'inbound-rtp') {
            add('key frame decoded', s.keyFramesDecoded);
            add('key-frame request sent', (s.pliCount ?? 0) + (s.firCount ?? 0));
            add('video packet received', s.packetsReceived);
          }
        }
      }
      return c;
    };
    const start = await read();
    const seen = {};
    // At most a minute, should the bench never stop it.
    const until = Date.now() + 60000;
    while (!window.__rtpWatchStop && Date.now() < until) {
      const now = await read();
      for (const [k, v] of Object.entries(now)) {
        const n = v - (start[k] ?? 0);
        // Packets: the first only; the rest: each one.
        const packets = k.startsWith('video packet');
        if (packets ? n > 0 && !seen[k] : n > (seen[k] ?? 0)) {
          performance.mark('consult:rtp ' + (packets ? 'first ' + k : k + ' #' + n));
          seen[k] = n;
        }
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  })()`);
  return async () => {
    await page.evaluate('window.__rtpWatchStop = true');
    await watching;
  };
}
