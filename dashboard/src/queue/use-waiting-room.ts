import { useEffect, useRef, useState } from 'preact/hooks';
import type { Colleague, QueueRemovalReason, QueueRoom, VerifiedIdentity, WaitingVisitor } from '../../../signaling/protocol/index.ts';
import { request } from '../../../client/src/call-engine/request.ts';
import type { ProfessionalSocket } from '../pro-socket.ts';
import { LiveWaitingList, type WaitingRow } from './live-waiting-list.ts';

/** How long a visitor someone else admitted stays on the list, marked as taken, before it goes. */
const TAKEN_SHOWN_MS = 5000;

export type { WaitingRow };

export interface WaitingRoomState {
  rooms: QueueRoom[];
  /** Every room of the organization, for moving a visitor. */
  transferTargets: { roomId: string; name: string }[];
  /** The organization's other members, to ask into a call. */
  colleagues: Colleague[];
  /** The organization's ready-made messages to waiting visitors. */
  quickReplies: string[];
  /** Oldest first. */
  visitors: WaitingRow[];
  /** Whether the dashboard's connection is up (the list is live). */
  online: boolean;
  /** Visitors still to admit (not those just taken by someone else). */
  waitingCount: number;
  remove(visitorId: string): void;
  /** Turns a visitor away, with an optional message to them. */
  deny(visitorId: string, message?: string): Promise<unknown>;
  /** Moves a visitor to another room. */
  transfer(visitorId: string, roomId: string): Promise<unknown>;
  /** A visitor's national identity number, asked for by the professional handling them (audited). */
  nationalIdOf(visitorId: string): Promise<string>;
  /**
   * The verified identity of a visitor this dashboard saw in line (kept after their admission, for the
   * call screen's card), if they had one.
   */
  identityOf(visitorId: string): VerifiedIdentity | undefined;
}

/**
 * The waiting lists of the rooms this member sees, kept live for the whole dashboard (the list, the
 * title's count, and the alerts all read it, in a call too). `onArrival` hears each new visitor.
 */
export function useWaitingRoom(socket: ProfessionalSocket | null, onArrival?: (v: WaitingVisitor) => void): WaitingRoomState {
  const [rooms, setRooms] = useState<QueueRoom[]>([]);
  const [transferTargets, setTransferTargets] = useState<{ roomId: string; name: string }[]>([]);
  const [colleagues, setColleagues] = useState<Colleague[]>([]);
  const [quickReplies, setQuickReplies] = useState<string[]>([]);
  const [visitors, setVisitors] = useState<WaitingRow[]>([]);
  const [online, setOnline] = useState(!!socket?.connected);
  // (Names and birth dates only, as the cards had them; gone with the page.)
  const identities = useRef(new Map<string, VerifiedIdentity>());
  const liveList = useRef<LiveWaitingList | null>(null);

  useEffect(() => {
    if (!socket) return;
    const timers = new Set<ReturnType<typeof setTimeout>>();
    // What is heard while a list is on its way is applied again on top of its answer (see LiveWaitingList).
    const live = new LiveWaitingList(setVisitors);
    liveList.current = live;
    const load = () => {
      setOnline(true);
      const n = live.listing();
      void request(socket, 'queue:list', {}).then(
        ({ rooms, visitors, transferTargets, colleagues, quickReplies }) => {
          if (!live.listed(n, visitors)) return;
          setRooms(rooms);
          setTransferTargets(transferTargets);
          setColleagues(colleagues);
          setQuickReplies(quickReplies);
          for (const v of visitors) if (v.identity) identities.current.set(v.visitorId, v.identity);
        },
        () => live.notListed(n),
      );
    };
    const arrived = (v: WaitingVisitor) => {
      if (v.identity) identities.current.set(v.visitorId, v.identity);
      live.arrived(v);
      onArrival?.(v);
    };
    const removed = ({ visitorId, reason, by }: { visitorId: string; reason: QueueRemovalReason; by?: string }) => {
      // Said on the row for a moment, so the professional sees why someone went: taken, or connection lost.
      const why = reason === 'admitted' && by ? { takenBy: by } : reason === 'connection_lost' ? { dropped: true } : null;
      if (!why) return live.gone(visitorId);
      live.mark(visitorId, why);
      const timer = setTimeout(() => {
        timers.delete(timer);
        live.gone(visitorId);
      }, TAKEN_SHOWN_MS);
      timers.add(timer);
    };
    const presence = ({ visitorId, online }: { visitorId: string; online: boolean }) => live.presence(visitorId, online);
    const messageKey = ({ visitorId, publicKey }: { visitorId: string; publicKey: string }) => live.messageKey(visitorId, publicKey);
    const offline = () => setOnline(false);
    if (socket.connected) load();
    socket.on('connect', load);
    socket.on('disconnect', offline);
    socket.on('queue:arrived', arrived);
    socket.on('queue:removed', removed);
    socket.on('queue:presence', presence);
    socket.on('queue:message-key', messageKey);
    // An admin changed which rooms this dashboard sees (or renamed or deleted one): list again.
    socket.on('queue:rooms-changed', load);
    return () => {
      socket.off('connect', load);
      socket.off('disconnect', offline);
      socket.off('queue:arrived', arrived);
      socket.off('queue:removed', removed);
      socket.off('queue:presence', presence);
      socket.off('queue:message-key', messageKey);
      socket.off('queue:rooms-changed', load);
      for (const timer of timers) clearTimeout(timer);
      live.clear();
      if (liveList.current === live) liveList.current = null;
      setRooms([]);
    };
  }, [socket]);

  return {
    rooms,
    transferTargets,
    colleagues,
    quickReplies,
    visitors,
    online,
    waitingCount: visitors.filter((v) => !v.takenBy && !v.dropped).length,
    remove: (visitorId) => liveList.current?.gone(visitorId),
    deny: (visitorId, message) => request(socket!, 'queue:deny', message ? { visitorId, message } : { visitorId }),
    transfer: (visitorId, roomId) => request(socket!, 'queue:transfer', { visitorId, roomId }),
    nationalIdOf: async (visitorId) => (await request(socket!, 'queue:identity', { visitorId })).nationalId,
    identityOf: (visitorId) => identities.current.get(visitorId),
  };
}
