import type { types } from 'mediasoup';

/** Opus and VP8 only: every browser we support has both, and E2EE's frame format is defined for them. */
export const mediaCodecs: types.RtpCodecCapability[] = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
  { kind: 'video', mimeType: 'video/VP8', clockRate: 90000, parameters: { 'x-google-start-bitrate': 600 } },
];

export interface MediaConfig {
  /** How many mediasoup workers to run; one per core by default. */
  workers: number;
  /** Address the workers bind to, and the one announced to browsers (public address behind NAT). */
  listenIp: string;
  announcedIp?: string;
  rtcMinPort: number;
  rtcMaxPort: number;
  /**
   * Worker i takes UDP and TCP port `webRtcPortBase + i` for all its transports (a mediasoup WebRtcServer),
   * so a firewall needs a few known ports. Unset: each transport takes a port from rtcMinPort..rtcMaxPort.
   */
  webRtcPortBase?: number;
  logLevel: types.WorkerLogLevel;
}
