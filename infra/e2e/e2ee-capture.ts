import type { Page } from 'playwright-core';

/*
 * Test-side instruments for end-to-end encryption, added to a page before any of the app's scripts:
 * they record the secrets the page makes (media keys handed to the frame worker, random bytes, the ECDH
 * private key), so a test can look for them where they must not be (Redis, logs) and use a departed
 * participant's keys as that participant could. The app itself is unchanged.
 */

export interface WorkerKeyCommand {
  type: 'send-key' | 'receive-key';
  participantId?: string;
  index: number;
  raw: number[];
}

declare global {
  interface Window {
    /** What captureSecrets recorded in the page. */
    __e2eeSecrets?: CapturedSecrets;
  }
}

export interface CapturedSecrets {
  keyCommands: WorkerKeyCommand[];
  random: number[][];
  privateKeys: string[];
}

export const captureSecrets = `(() => {
  const log = { keyCommands: [], random: [], privateKeys: [] };
  window.__e2eeSecrets = log;
  const post = Worker.prototype.postMessage;
  Worker.prototype.postMessage = function (msg, ...rest) {
    if (msg && (msg.type === 'send-key' || msg.type === 'receive-key')) {
      log.keyCommands.push({ type: msg.type, participantId: msg.participantId, index: msg.index, raw: Array.from(new Uint8Array(msg.raw)) });
    }
    return post.call(this, msg, ...rest);
  };
  const getRandomValues = crypto.getRandomValues.bind(crypto);
  crypto.getRandomValues = (a) => {
    const r = getRandomValues(a);
    if (a.byteLength >= 16) log.random.push(Array.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)));
    return r;
  };
  const generateKey = crypto.subtle.generateKey.bind(crypto.subtle);
  crypto.subtle.generateKey = async (alg, extractable, usages) => {
    if (!alg || alg.name !== 'ECDH') return generateKey(alg, extractable, usages);
    const pair = await generateKey(alg, true, usages);
    log.privateKeys.push((await crypto.subtle.exportKey('jwk', pair.privateKey)).d);
    return pair;
  };
})();`;

export function secretsOf(page: Page): Promise<CapturedSecrets> {
  return page.evaluate(() => window.__e2eeSecrets!);
}

/** The media keys a page holds for frames from `participantId`. */
export async function receivedKeysOf(page: Page, participantId: string): Promise<WorkerKeyCommand[]> {
  return (await secretsOf(page)).keyCommands.filter((c) => c.type === 'receive-key' && c.participantId === participantId);
}

/** Every way a secret could be written down in text. */
export function encodingsOf(bytes: Uint8Array): string[] {
  const b = Buffer.from(bytes);
  return [b.toString('hex'), b.toString('base64').replace(/=+$/, ''), b.toString('base64url'), JSON.stringify([...bytes]).slice(1, -1)];
}
