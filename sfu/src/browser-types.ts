import type { types } from 'mediasoup';
import type { types as browser } from 'mediasoup-client';

/*
 * What the SFU hands out goes to mediasoup-client in the browser, so it is described in that library's
 * types. This mediasoup version types a header extension's uri and a fingerprint's algorithm as any
 * string where mediasoup-client lists the values; the values are the ones mediasoup negotiated from the
 * browser's own capabilities, so the narrowing holds. It is done here once, not at each use.
 */

export type BrowserRtpParameters = browser.RtpParameters;
export type BrowserDtlsParameters = browser.DtlsParameters;
export type BrowserIceParameters = browser.IceParameters;
export type BrowserIceCandidate = browser.IceCandidate;

export const browserRtpParameters = (p: types.RtpParameters) => p as BrowserRtpParameters;
export const browserDtlsParameters = (p: types.DtlsParameters) => p as BrowserDtlsParameters;

/** mediasoup-client reads `address` first, then the older `ip` that this mediasoup version still writes alone. */
export const browserIceCandidates = (candidates: types.IceCandidate[]): BrowserIceCandidate[] =>
  candidates.map((c) => ({ ...c, address: c.ip }));
