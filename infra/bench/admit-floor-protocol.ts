import type { types } from 'mediasoup-client';

/*
 * What the floor's page (admit-floor-page.ts) and its server (admit-floor.ts) say to each other, and what
 * the page leaves on its window for the bench to read. The bench's own: the product's protocol is in
 * signaling/protocol/.
 */

export type FloorTransports = Record<'send' | 'recv', Pick<types.TransportOptions, 'id' | 'iceParameters' | 'iceCandidates' | 'dtlsParameters'>>;
export type FloorConsumer = Pick<types.ConsumerOptions, 'id' | 'producerId' | 'kind' | 'rtpParameters'>;

export interface FloorServerEvents {
  start(transports: FloorTransports): void;
  consume(info: FloorConsumer): void;
  end(): void;
}

export interface FloorClientEvents {
  capabilities(reply: (caps: types.RtpCapabilities) => void): void;
  ready(caps: types.RtpCapabilities, reply: () => void): void;
  admit(): void;
  'connect-transport'(req: { transportId: string; dtlsParameters: types.DtlsParameters }, reply: () => void): void;
  produce(req: { kind: types.MediaKind; rtpParameters: types.RtpParameters }, reply: (producerId: string) => void): void;
  resume(consumerId: string): void;
  end(): void;
}

/** The page's window as the bench reads it (page.evaluate). */
export type FloorWindow = typeof window & {
  __ready?: boolean;
  __ended?: boolean;
  /** When admit() was called (epoch ms): the floor's "click". */
  __clickedAt?: number;
  /** When each remote video presented its first frame (epoch ms). */
  __remoteFrames: number[];
  admit(): void;
  end(): void;
};
