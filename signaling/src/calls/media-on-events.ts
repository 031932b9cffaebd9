import { peerIdOf } from '../../protocol/index.ts';
import type { DomainEvents } from '../events/domain-events.ts';
import type { Services } from '../services.ts';

/**
 * An admitted visitor's transports are made while the visitor is told, so that their join takes them
 * instead of waiting for the media worker. Only where the call's router is already in this process (the
 * professional's ready call, or a call under way): an admission never makes a router on its own.
 */
export function prepareMediaOn(bus: DomainEvents, s: Pick<Services, 'media'>): void {
  bus.on('visitor.admitted', 'media', ({ visitor, callId }) => s.media.existingRouter(callId)?.prepare(peerIdOf('visitor', visitor.id)));
}
