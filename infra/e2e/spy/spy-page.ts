import { Device } from 'mediasoup-client';
import type { types } from 'mediasoup-client';

/*
 * A test page that consumes a call's media straight from the SFU, as someone with access to the media
 * server would, without taking part in the key exchange. 'plain': no frame transforms at all (what a
 * normal WebRTC client would decode). 'capture': records each frame's bytes exactly as they
 * travel, so a test can try keys on them afterwards.
 */

export interface SpyStart {
  routerRtpCapabilities: types.RtpCapabilities;
  transport: { id: string; iceParameters: types.IceParameters; iceCandidates: types.IceCandidate[]; dtlsParameters: types.DtlsParameters };
  consumers: { consumerId: string; producerId: string; producerParticipantId: string; kind: 'audio' | 'video'; rtpParameters: types.RtpParameters }[];
  mode: 'plain' | 'capture';
}

export interface CapturedFrame {
  at: number;
  participantId: string;
  kind: 'audio' | 'video';
  keyFrame: boolean;
  data: number[];
}

export interface AudioWindow {
  rms: number;
  peakHz: number;
  /** How far the strongest frequency stands above the average (dB): high for a tone, low for noise. */
  tonality: number;
}

declare global {
  interface Window {
    spyConnect(transportId: string, dtlsParameters: unknown): Promise<void>;
    spyResume(consumerId: string): Promise<void>;
    startSpy(start: SpyStart): Promise<void>;
    spyStats(): Promise<{ framesDecoded: number; videoPackets: number; audioPackets: number }>;
    takeFrames(): CapturedFrame[];
    listenToAudio(ms: number): Promise<AudioWindow[]>;
    listenToElement(selector: string, ms: number): Promise<AudioWindow[]>;
  }
}

const captured: CapturedFrame[] = [];
let pc: RTCPeerConnection | undefined;
const audioTracks: MediaStreamTrack[] = [];

window.startSpy = async (start) => {
  const device = new Device();
  await device.load({ routerRtpCapabilities: start.routerRtpCapabilities });
  const transport = device.createRecvTransport({
    ...start.transport,
    additionalSettings: (start.mode === 'capture' ? { encodedInsertableStreams: true } : {}) as RTCConfiguration,
  });
  transport.on('connect', ({ dtlsParameters }, ok, fail) => void window.spyConnect(transport.id, dtlsParameters).then(ok, fail));
  for (const c of start.consumers) {
    const consumer = await transport.consume({ id: c.consumerId, producerId: c.producerId, kind: c.kind, rtpParameters: c.rtpParameters });
    // mediasoup-client keeps its peer connection private; the spy reads its packet counts from it.
    pc ??= (transport as unknown as { handler: { _pc: RTCPeerConnection } }).handler._pc;
    if (start.mode === 'capture') {
      const receiver = consumer.rtpReceiver as RTCRtpReceiver & { createEncodedStreams(): { readable: ReadableStream; writable: WritableStream } };
      const { readable, writable } = receiver.createEncodedStreams();
      void readable
        .pipeThrough(
          new TransformStream({
            transform(frame: RTCEncodedAudioFrame | RTCEncodedVideoFrame, controller) {
              captured.push({
                at: performance.now(),
                participantId: c.producerParticipantId,
                kind: c.kind,
                keyFrame: 'type' in frame && frame.type === 'key',
                data: [...new Uint8Array(frame.data)],
              });
              controller.enqueue(frame);
            },
          }),
        )
        .pipeTo(writable);
    }
    if (c.kind === 'audio') audioTracks.push(consumer.track);
    // Played unmuted: Chromium computes nothing for a remote track no element plays.
    const el = document.createElement(c.kind);
    el.srcObject = new MediaStream([consumer.track]);
    el.autoplay = true;
    document.body.append(el);
    await window.spyResume(consumer.id);
  }
};

window.spyStats = async () => {
  const result = { framesDecoded: 0, videoPackets: 0, audioPackets: 0 };
  (await pc!.getStats()).forEach((s: { type: string; kind?: string; framesDecoded?: number; packetsReceived?: number }) => {
    if (s.type !== 'inbound-rtp') return;
    if (s.kind === 'video') {
      result.framesDecoded += s.framesDecoded ?? 0;
      result.videoPackets += s.packetsReceived ?? 0;
    } else result.audioPackets += s.packetsReceived ?? 0;
  });
  return result;
};

window.takeFrames = () => captured.splice(0);

window.listenToAudio = (ms) => listen(new MediaStream(audioTracks), ms);

window.listenToElement = (selector, ms) => {
  const el = document.querySelector<HTMLMediaElement>(selector);
  const stream = el?.srcObject as MediaStream | undefined;
  if (!stream) throw new Error(`nothing plays in ${selector}`);
  return listen(new MediaStream(stream.getAudioTracks()), ms);
};

/** Loudness and dominant frequency of what is heard, every 20 ms. */
async function listen(stream: MediaStream, ms: number): Promise<AudioWindow[]> {
  const ctx = new AudioContext();
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 2048;
  ctx.createMediaStreamSource(stream).connect(analyser);
  const time = new Float32Array(analyser.fftSize);
  const freq = new Float32Array(analyser.frequencyBinCount);
  const windows: AudioWindow[] = [];
  const end = performance.now() + ms;
  while (performance.now() < end) {
    await new Promise((r) => setTimeout(r, 20));
    analyser.getFloatTimeDomainData(time);
    analyser.getFloatFrequencyData(freq);
    let sum = 0;
    for (const v of time) sum += v * v;
    let best = 1;
    let mean = 0;
    for (let k = 1; k < freq.length; k++) {
      if (freq[k]! > freq[best]!) best = k;
      mean += Math.max(freq[k]!, -200);
    }
    mean /= freq.length - 1;
    windows.push({ rms: Math.sqrt(sum / time.length), peakHz: (best * ctx.sampleRate) / analyser.fftSize, tonality: freq[best]! - mean });
  }
  await ctx.close();
  return windows;
}
