/*
 * bench:crypto - the E2EE crypto module alone (client/src/call-engine/e2ee): time to seal and to open
 * one frame, for typical frame sizes, through the same functions the frame worker uses. Runs in Node,
 * whose WebCrypto is OpenSSL's AES-GCM as Chromium's is BoringSSL's; each figure is per frame.
 *
 *   npm run bench:crypto [-- --frames 5000] [--warmup 200] [--smoke]
 */
import { clearBytesOf, decryptFrame, encryptFrame, frameIv } from '../../client/src/call-engine/e2ee/frame-format.ts';
import { importFrameKey } from '../../client/src/call-engine/e2ee/frame-keys.ts';
import { percentile } from './stats.ts';
import { benchArgs } from './size.ts';

// warmup: frames sealed and opened before the counted ones (the JIT and OpenSSL's first calls).
const { frames, warmup } = benchArgs({ frames: [5000, 20], warmup: [200, 5] }).size;

const cases = [
  { what: 'Opus audio frame (20 ms)', bytes: 120, kind: 'audio', key: false },
  { what: 'VP8 delta frame, 640x480', bytes: 2_000, kind: 'video', key: false },
  { what: 'VP8 delta frame, 1280x720', bytes: 8_000, kind: 'video', key: false },
  { what: 'VP8 key frame, 1280x720', bytes: 60_000, kind: 'video', key: true },
] as const;

const key = await importFrameKey(crypto.getRandomValues(new Uint8Array(32)));
const us = (ms: number) => `${(ms * 1000).toFixed(1)} µs`;
console.log(`bench:crypto - ${frames} frames per size, AES-256-GCM, ${process.version}`);
console.log('frame                          size      seal p50   seal p99   open p50   open p99');
for (const c of cases) {
  const clear = clearBytesOf(c.kind, c.key);
  const plain = crypto.getRandomValues(new Uint8Array(c.bytes));
  const seal: number[] = [];
  const open: number[] = [];
  for (let i = 0; i < frames + warmup; i++) {
    const data = plain.slice().buffer;
    let t = performance.now();
    const sealed = await encryptFrame(key, 1, frameIv(1234, i * 3000, i), data, clear);
    const sealedAt = performance.now() - t;
    t = performance.now();
    const opened = await decryptFrame(key, sealed, clear);
    const openedAt = performance.now() - t;
    if (!opened) throw new Error('a frame did not open');
    if (i >= warmup) {
      seal.push(sealedAt);
      open.push(openedAt);
    }
  }
  console.log(
    `${c.what.padEnd(30)} ${String(c.bytes).padStart(6)} B  ${us(percentile(seal, 50)).padStart(9)}  ${us(percentile(seal, 99)).padStart(9)}  ${us(percentile(open, 50)).padStart(9)}  ${us(percentile(open, 99)).padStart(9)}`,
  );
}
