import type { MessageReader, professionalEvents, visitorEvents } from '../../protocol/index.ts';
import { AppError, badField, notFound } from '../errors.ts';
import { setIfExists } from '../retention/retained-scripts.ts';
import { keys } from '../redis/keys.ts';
import type { Services } from '../services.ts';
import type { Handlers } from '../socket/bind-events.ts';
import { socketRooms, type ProfessionalSocket, type VisitorSocket } from '../socket/types.ts';
import type { Professional } from '../organizations/organization-store.ts';
import type { Visitor } from '../waiting-room/waiting-room-store.ts';
import { MessageReaders } from './message-readers.ts';
import { copyFor, MessageStore } from './message-store.ts';

/** A visitor writes a few lines while waiting; more than this a minute is someone flooding the room. */
export const VISITOR_MESSAGES_PER_MINUTE = 10;
/** Quick replies to everyone in a room go one message per visitor. */
const PROFESSIONAL_MESSAGES_PER_MINUTE = 200;

type MessageEvents<T> = { [K in keyof T & `messages:${string}`]: T[K] };

/**
 * Messages with waiting visitors. The browsers seal each message once per reader (the visitor, and each
 * dashboard of a professional who may act on the visitor's room); the server checks who the copies are
 * for, stores them under the retention period and passes each to its reader. It never sees the text, and
 * a visitor's messages reach no other visitor.
 */
export class WaitingMessages {
  readonly readers: MessageReaders;
  private readonly store: MessageStore;

  constructor(private readonly s: Pick<Services, 'log' | 'notify' | 'organizations' | 'rateLimiter' | 'redis' | 'waitingRoom'>) {
    this.readers = new MessageReaders(s);
    this.store = new MessageStore(s);
  }

  forVisitor(socket: VisitorSocket): Handlers<MessageEvents<typeof visitorEvents>> {
    const { orgId, visitorId } = socket.data;
    const waitingVisitor = async () => {
      const visitor = await this.s.waitingRoom.getVisitor(orgId, visitorId);
      if (!visitor) throw notFound();
      if (visitor.state !== 'waiting') throw new AppError('not_waiting', 'messages are for while you wait');
      return visitor;
    };
    return {
      'messages:key': async ({ publicKey }) => {
        const visitor = await waitingVisitor();
        if ((await setIfExists.run(this.s.redis, { keys: { hash: keys.visitor(orgId, visitorId) }, args: { field: 'messageKey', value: publicKey } })) !== 'ok') throw notFound();
        this.s.notify.professionals.to(socketRooms.room(orgId, visitor.roomId)).emit('queue:message-key', { visitorId, roomId: visitor.roomId, publicKey });
        return {};
      },
      'messages:readers': async () => ({ readers: await this.readers.ofRoom(orgId, (await waitingVisitor()).roomId) }),
      'messages:send': async ({ copies }) => {
        if (!(await this.s.rateLimiter.allow('visitor-message', visitorId, VISITOR_MESSAGES_PER_MINUTE, 60_000))) {
          throw new AppError('rate_limited', `at most ${VISITOR_MESSAGES_PER_MINUTE} messages a minute`);
        }
        const visitor = await waitingVisitor();
        if (!visitor.messageKey) throw new AppError('bad_request', 'send your key first (messages:key)');
        const readers = new Set((await this.readers.ofRoom(orgId, visitor.roomId)).map((r) => r.deviceId));
        // The room's professionals' dashboards and the visitor's own copy: never another visitor, never a made-up reader.
        readers.add('visitor');
        if (copies.some((c) => !readers.has(c.to))) throw badField('copies', 'not a reader of this room');
        return this.deliver(visitor, { from: 'visitor', senderKey: visitor.messageKey }, copies);
      },
      'messages:list': async () => ({ messages: await this.store.listFor(orgId, visitorId, 'visitor') }),
    };
  }

  /** `visitorToActOn`: the member, and a visitor of a room they may act on (else not_found). */
  forProfessional(
    socket: ProfessionalSocket,
    visitorToActOn: (visitorId: string) => Promise<{ pro: Professional; waiting: Visitor }>,
  ): Handlers<MessageEvents<typeof professionalEvents>> {
    const { orgId, professionalId } = socket.data.session;
    const ownDevice = async (deviceId: string) => {
      if (!(await this.readers.owns(orgId, professionalId, deviceId))) throw notFound('register this dashboard first');
    };
    return {
      'messages:device': async ({ deviceId, publicKey }) => {
        await this.readers.register(orgId, professionalId, deviceId, publicKey).catch((err: unknown) => {
          if (err instanceof AppError) throw err;
          throw notFound('no such device');
        });
        await socket.join(socketRooms.messageDevice(orgId, deviceId));
        return {};
      },
      'messages:readers': async ({ visitorId }) => {
        const { waiting } = await visitorToActOn(visitorId);
        return { visitorKey: waiting.messageKey ?? null, readers: await this.readers.ofRoom(orgId, waiting.roomId) };
      },
      'messages:send': async ({ visitorId, deviceId, copies }) => {
        if (!(await this.s.rateLimiter.allow('professional-message', professionalId, PROFESSIONAL_MESSAGES_PER_MINUTE, 60_000))) {
          throw new AppError('rate_limited', 'too many messages');
        }
        const [{ waiting }] = await Promise.all([visitorToActOn(visitorId), ownDevice(deviceId)]);
        if (waiting.state !== 'waiting') throw new AppError('not_waiting', 'the visitor is no longer waiting');
        const readers = await this.readers.ofRoom(orgId, waiting.roomId);
        const allowed = new Set(readers.map((r) => r.deviceId));
        if (waiting.messageKey) allowed.add('visitor');
        if (copies.some((c) => !allowed.has(c.to))) throw badField('copies', 'not a reader of this visitor');
        const self = readers.find((r) => r.deviceId === deviceId);
        if (!self) throw notFound('register this dashboard first');
        return this.deliver(waiting, { from: self, senderKey: self.publicKey }, copies);
      },
      'messages:list': async ({ visitorId, deviceId }) => {
        await Promise.all([visitorToActOn(visitorId), ownDevice(deviceId)]);
        return { messages: await this.store.listFor(orgId, visitorId, deviceId) };
      },
    };
  }

  /** Stores the copies and hands each to its reader's sockets. The text is never seen here, nor logged. */
  private async deliver(visitor: Visitor, sender: { from: 'visitor' | MessageReader; senderKey: string }, copies: { to: string; blob: string }[]) {
    const message = await this.store.add(visitor.orgId, visitor.id, sender, copies);
    for (const { to } of copies) {
      const copy = copyFor(visitor.id, message, to)!;
      if (to === 'visitor') this.s.notify.visitors.to(socketRooms.visitor(visitor.orgId, visitor.id)).emit('messages:new', copy);
      else this.s.notify.professionals.to(socketRooms.messageDevice(visitor.orgId, to)).emit('messages:new', copy);
    }
    this.s.log.info({ orgId: visitor.orgId, visitorId: visitor.id, from: sender.from === 'visitor' ? 'visitor' : 'professional', readers: copies.length }, 'waiting-room message');
    return { messageId: message.messageId, sentAt: message.sentAt };
  }
}
