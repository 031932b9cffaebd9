export { MediaServer, type MediaStats, type WorkerStats } from './media-server.ts';
export { CallRouter, type ConsumerDescription, type TransportDescription } from './call-router.ts';
export { MediaError } from './media-error.ts';
export type { MediaConfig } from './media-config.ts';
export type { MediaSource } from './media-source.ts';
export { LoopbackTest, type LoopbackFigures } from './loopback-test.ts';
