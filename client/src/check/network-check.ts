import { io, type Socket } from 'socket.io-client';
import type { types } from 'mediasoup-client';
import {
  NETWORK_CHECK_NAMESPACE,
  NETWORK_CHECK_SECONDS,
  type NetworkCheckClientEvents,
  type NetworkCheckResult,
} from '../../../signaling/protocol/index.ts';
import { preloadDevice } from '../call-engine/call-engine.ts';
import { request } from '../call-engine/request.ts';
import { generatedMedia } from './generated-media.ts';

type CheckSocket = Socket<never, NetworkCheckClientEvents>;

export interface NetworkCheckRun {
  checkId: string;
  result: NetworkCheckResult;
  /** 'relay': this network reached the SFU only through our TURN server; null when the browser did not say. */
  path: 'direct' | 'relay' | null;
}

/** How the browser reached the SFU: the type of its own end of the ICE pair it selected. */
async function connectionPath(transport: types.Transport): Promise<NetworkCheckRun['path']> {
  const stats = new Map<string, Record<string, unknown>>();
  (await transport.getStats()).forEach((s: Record<string, unknown>) => stats.set(s.id as string, s));
  for (const s of stats.values()) {
    if (s.type !== 'transport' || typeof s.selectedCandidatePairId !== 'string') continue;
    const pair = stats.get(s.selectedCandidatePairId);
    const local = pair && stats.get(pair.localCandidateId as string);
    if (local?.candidateType) return local.candidateType === 'relay' ? 'relay' : 'direct';
  }
  return null;
}

/**
 * Sends a few seconds of generated picture and tone to a test router of our own SFU, which sends them
 * straight back; the SFU measures the round trip, the loss and the bitrate that got through. Generated
 * media rather than the camera: the test is not end-to-end encrypted like a call, so nothing of the
 * visitor's face or voice goes into it. `onProgress` gets 0..1 while it runs; `signal` stops it early.
 */
export async function runNetworkCheck(onProgress: (fraction: number) => void = () => undefined, signal?: AbortSignal): Promise<NetworkCheckRun> {
  // A connection of its own (forceNew): sockets of one origin otherwise share a manager, and its options
  // (no reconnection, for a test that is over if the connection drops) would be the visit's too.
  const socket: CheckSocket = io(NETWORK_CHECK_NAMESPACE, { transports: ['websocket', 'polling'], reconnection: false, forceNew: true });
  const media = generatedMedia();
  const transports: types.Transport[] = [];
  try {
    const device = await preloadDevice();
    const started = await request(socket, 'check:start', { rtpCapabilities: device.rtpCapabilities });
    const send = device.createSendTransport(started.sendTransport);
    const recv = device.createRecvTransport(started.recvTransport);
    transports.push(send, recv);
    for (const t of transports) {
      t.on('connect', ({ dtlsParameters }, done, fail) => {
        request(socket, 'check:connect-transport', { transportId: t.id, dtlsParameters: dtlsParameters }).then(() => done(), fail);
      });
    }
    const back = new Map<string, { consumerId: string; kind: 'audio' | 'video'; rtpParameters: types.RtpParameters }>();
    send.on('produce', ({ kind, rtpParameters }, done, fail) => {
      request(socket, 'check:produce', { transportId: send.id, kind, rtpParameters: rtpParameters }).then((answer) => {
        back.set(answer.producerId, answer);
        done({ id: answer.producerId });
      }, fail);
    });
    const producers = [
      await send.produce({ track: media.video, encodings: [{ maxBitrate: 1_500_000 }], codecOptions: { videoGoogleStartBitrate: 1000 } }),
      await send.produce({ track: media.audio }),
    ];
    for (const producer of producers) {
      const answer = back.get(producer.id)!;
      const consumer = await recv.consume({
        id: answer.consumerId,
        producerId: producer.id,
        kind: answer.kind,
        rtpParameters: answer.rtpParameters,
      });
      await request(socket, 'check:resume', { consumerId: consumer.id });
    }
    const steps = NETWORK_CHECK_SECONDS * 4;
    for (let i = 1; i <= steps; i++) {
      await new Promise((r) => setTimeout(r, 250));
      // Left the check before the end (went on to the form): the test stops and leaves no result.
      signal?.throwIfAborted();
      onProgress(i / steps);
    }
    const path = await connectionPath(send).catch(() => null);
    const { result } = await request(socket, 'check:finish', {});
    return { checkId: started.checkId, result, path };
  } finally {
    for (const t of transports) t.close();
    media.stop();
    socket.disconnect();
  }
}
