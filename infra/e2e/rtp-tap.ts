import type { types } from 'mediasoup';
import type { MediaServer } from '../../sfu/src/media-server.ts';
import type { CallRouter } from '../../sfu/src/call-router.ts';

/*
 * What leaves the participants' browsers, from the very first packet: every router made on the SFU's
 * workers from now on is watched, and for each producer a pipe consumer on a DirectTransport is made in
 * the same turn as the producer, so it gets every RTP packet the SFU receives for it, none skipped.
 * Packets are put back together into the frames the sender's encoder (and frame transform) produced.
 * The SFU keeps its workers and its participants to itself: a test looks inside.
 */

export interface TappedFrame {
  kind: 'audio' | 'video';
  keyFrame: boolean;
  /** The frame's bytes as they left the sender: without the RTP and VP8 payload headers. */
  data: Uint8Array;
}

export interface TappedProducer {
  id: string;
  participantId: string;
  kind: 'audio' | 'video';
  /** Every complete frame the SFU received for it, from its first packet on. */
  frames: TappedFrame[];
}

export interface RtpTap {
  /** The producers the call's participants have now, each with what it sent since it was made. */
  producersOf(callRouter: CallRouter): TappedProducer[];
  close(): void;
}

type Participants = Map<string, { id: string; producers: Map<string, types.Producer> }>;

export function tapMedia(media: MediaServer): RtpTap {
  // The tap reaches into the media server's private worker pool: production code has no reason to expose it.
  const workers = (media as unknown as { pool: { live(): types.Worker[] } }).pool.live();
  const frames = new Map<string, TappedFrame[]>();
  const directs: types.DirectTransport[] = [];

  const tapRouter = (router: types.Router) => {
    const direct = router.createDirectTransport();
    direct.then((d) => directs.push(d), () => undefined);
    router.observer.on('newtransport', (transport) => {
      transport.observer.on('newproducer', (producer) => {
        const list: TappedFrame[] = [];
        frames.set(producer.id, list);
        const video = new VideoFrames((data, keyFrame) => list.push({ kind: 'video', keyFrame, data }));
        void direct
          .then((d) => d.consume({ producerId: producer.id, rtpCapabilities: router.rtpCapabilities, pipe: true }))
          .then((consumer) => {
            consumer.on('rtp', (packet) => {
              const rtp = parseRtp(packet);
              if (!rtp || rtp.payloadType !== consumer.rtpParameters.codecs[0]!.payloadType) return; // RTX
              if (producer.kind === 'video') video.packet(rtp);
              else if (rtp.payload.length > 0) list.push({ kind: 'audio', keyFrame: false, data: rtp.payload });
            });
          })
          .catch(() => undefined);
      });
    });
  };
  for (const worker of workers) worker.observer.on('newrouter', tapRouter);

  return {
    producersOf: (callRouter) => {
      // A call's participants are private to its router; only this test tap reads them.
      const participants = (callRouter as unknown as { participants: Participants }).participants;
      return [...participants.values()].flatMap((p) =>
        [...p.producers.values()].map((producer) => ({ id: producer.id, participantId: p.id, kind: producer.kind, frames: [...(frames.get(producer.id) ?? [])] })),
      );
    },
    close: () => {
      for (const worker of workers) worker.observer.off('newrouter', tapRouter);
      for (const d of directs) d.close();
    },
  };
}

interface Rtp {
  payloadType: number;
  marker: boolean;
  sequenceNumber: number;
  timestamp: number;
  payload: Uint8Array;
}

function parseRtp(packet: Buffer): Rtp | null {
  if (packet.length < 12 || packet[0]! >> 6 !== 2) return null;
  const padding = (packet[0]! & 0x20) !== 0;
  const extension = (packet[0]! & 0x10) !== 0;
  let offset = 12 + 4 * (packet[0]! & 0x0f);
  if (extension) offset += 4 + 4 * packet.readUInt16BE(offset + 2);
  const end = padding ? packet.length - packet[packet.length - 1]! : packet.length;
  if (offset > end) return null;
  return {
    payloadType: packet[1]! & 0x7f,
    marker: (packet[1]! & 0x80) !== 0,
    sequenceNumber: packet.readUInt16BE(2),
    timestamp: packet.readUInt32BE(4),
    payload: new Uint8Array(packet.subarray(offset, end)),
  };
}

/** VP8 frames from RTP packets (RFC 7741): payload descriptors removed, a frame's packets joined. */
class VideoFrames {
  private current?: { timestamp: number; next: number; parts: Uint8Array[] };

  constructor(private readonly done: (data: Uint8Array, keyFrame: boolean) => void) {}

  packet(rtp: Rtp): void {
    const p = rtp.payload;
    if (p.length === 0) return; // padding only (bandwidth probing)
    let i = 1;
    const start = (p[0]! & 0x10) !== 0 && (p[0]! & 0x07) === 0;
    if (p[0]! & 0x80) {
      const x = p[i++]!;
      if (x & 0x80) i += p[i]! & 0x80 ? 2 : 1; // picture id
      if (x & 0x40) i++; // TL0PICIDX
      if (x & 0x30) i++; // TID / KEYIDX
    }
    const body = p.subarray(i);
    if (start) this.current = { timestamp: rtp.timestamp, next: rtp.sequenceNumber, parts: [] };
    const c = this.current;
    // A packet lost or out of order: that frame is left out (the test needs whole frames only).
    if (!c || c.timestamp !== rtp.timestamp || c.next !== rtp.sequenceNumber) {
      this.current = undefined;
      return;
    }
    c.parts.push(body);
    c.next = (c.next + 1) & 0xffff;
    if (!rtp.marker) return;
    this.current = undefined;
    const data = new Uint8Array(c.parts.reduce((n, part) => n + part.length, 0));
    let at = 0;
    for (const part of c.parts) {
      data.set(part, at);
      at += part.length;
    }
    // VP8 frame tag: the lowest bit of its first byte is 0 on key frames (it stays in clear when sealed).
    this.done(data, (data[0]! & 0x01) === 0);
  }
}
