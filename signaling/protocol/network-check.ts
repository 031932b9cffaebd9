import { z } from 'zod';
import { dtlsParameters, id, mediaKind, networkRating, rtpCapabilities, rtpParameters, type webrtc } from './common.ts';
import type { ClientEventsOf, TransportInfo } from './socket.ts';

/*
 * The device and network check before check-in (and on the standalone /check page). The network part
 * sends a few seconds of generated media to a short-lived test router of our own SFU and back to the same
 * browser: no other party, nothing of any call. The SFU measures what came through; its figures, not the
 * browser's word, are what the professional sees.
 */

export const NETWORK_CHECK_NAMESPACE = '/network-check';

/** How long the browser sends before asking for the result, and the longest a test router lives. */
export const NETWORK_CHECK_SECONDS = 5;
export const NETWORK_CHECK_MAX_SECONDS = 30;

export interface NetworkFigures {
  /** Round trip between the browser and the SFU, null if nothing came back to time it with. */
  rttMs: number | null;
  /** Packets lost on the way there and back, percent. */
  lossPercent: number;
  /** The highest video bitrate the browser got through to the SFU. */
  bitrateKbps: number;
}

/** What limits a connection most, for the plain-language tip. */
export type NetworkLimit = 'loss' | 'delay' | 'bandwidth' | null;

export interface NetworkCheckResult extends NetworkFigures {
  rating: z.infer<typeof networkRating>;
  limitedBy: NetworkLimit;
  measuredAt: number;
}

/**
 * The same bounds the call uses while it runs (loss and delay), and the bitrate a consultation's video
 * needs (640x360, see local-media.ts): good: under 2 % loss, 300 ms and at least 400 kbit/s; fair: under
 * 8 %, 600 ms, at least 150 kbit/s (video, but blurred); poor otherwise (sound only is likely).
 */
export function rateConnection(f: { rttMs: number | null; lossPercent: number; bitrateKbps?: number }): { rating: NetworkCheckResult['rating']; limitedBy: NetworkLimit } {
  const rtt = f.rttMs ?? 0;
  const bitrate = f.bitrateKbps ?? Infinity;
  const grade = (good: boolean, fair: boolean) => (good ? 0 : fair ? 1 : 2);
  const grades: [NonNullable<NetworkLimit>, number][] = [
    ['loss', grade(f.lossPercent < 2, f.lossPercent < 8)],
    ['delay', grade(rtt < 300, rtt < 600)],
    ['bandwidth', grade(bitrate >= 400, bitrate >= 150)],
  ];
  const worst = Math.max(...grades.map(([, g]) => g));
  return { rating: (['good', 'fair', 'poor'] as const)[worst]!, limitedBy: worst === 0 ? null : grades.find(([, g]) => g === worst)![0] };
}

/** Client -> server events of the network check namespace, validated before any handler runs. */
export const networkCheckEvents = {
  /** A test router for this browser; refused (rate_limited) past the per-address limit or when too many run. */
  'check:start': {
    request: z.strictObject({ rtpCapabilities }),
    response: {} as { checkId: string; sendTransport: TransportInfo; recvTransport: TransportInfo },
  },
  'check:connect-transport': { request: z.strictObject({ transportId: z.uuid(), dtlsParameters }), response: {} as {} },
  /** Sends one track; answers the consumer that brings it straight back. */
  'check:produce': {
    request: z.strictObject({ transportId: z.uuid(), kind: mediaKind, rtpParameters }),
    response: {} as { producerId: string; consumerId: string; kind: 'audio' | 'video'; rtpParameters: webrtc.RtpParameters },
  },
  'check:resume': { request: z.strictObject({ consumerId: z.uuid() }), response: {} as {} },
  /** Ends the test: its router closes, and the result is kept a while under `checkId` for the check-in. */
  'check:finish': { request: z.strictObject({}), response: {} as { result: NetworkCheckResult } },
} as const;

export type NetworkCheckClientEvents = ClientEventsOf<typeof networkCheckEvents>;

/** Printable text of a visitor's browser, e.g. "Chrome 131 on Windows" (no device labels: they can hold names). */
const browserName = z
  .string()
  .max(60)
  .regex(/^[\p{L}\p{N} .,()/_+-]*$/u);

/** What the visitor's device check found, sent with the check-in answers. */
export const deviceCheckReport = z.strictObject({
  browser: browserName,
  camera: z.boolean(),
  microphone: z.boolean(),
  /** The network check's id, if it ran: the server fills in its own figures. */
  networkCheckId: id.optional(),
});
export type DeviceCheckReport = z.infer<typeof deviceCheckReport>;

/** As the professional's queue card shows it (technical data, under the organization's retention). */
export interface DeviceCheckDetails {
  browser: string;
  camera: boolean;
  microphone: boolean;
  network?: NetworkCheckResult;
}
