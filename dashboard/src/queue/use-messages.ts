import { useEffect, useRef, useState } from 'preact/hooks';
import type { WaitingMessage } from '../../../signaling/protocol/index.ts';
import { deviceKeys, type DeviceKeys } from '../../../client/src/call-engine/e2ee/device-keys.ts';
import { request } from '../../../client/src/call-engine/request.ts';
import { merge, MessageProblem, problemOf, sealForReaders, showMessage, type ShownMessage } from '../../../client/src/messages/shown-message.ts';
import type { ProfessionalSocket } from '../pro-socket.ts';

export interface MessagesState {
  threads: Record<string, ShownMessage[]>;
  /** Messages from each visitor not yet seen (their thread was closed when they came). */
  unread: Record<string, number>;
  /** The thread is on screen: load what came before, and count nothing as unread while it is. */
  opened(visitorId: string, open: boolean): void;
  send(visitorId: string, text: string): Promise<void>;
  /** The same text to each of these visitors (a room's "everyone"); answers how many it reached. */
  sendToEach(visitorIds: string[], text: string): Promise<number>;
}

/**
 * This dashboard's side of messages with waiting visitors: its own key (kept in this browser), each
 * visitor's thread as this dashboard's copies, and sending (sealed for the visitor and for every
 * dashboard of the room's professionals, this one included).
 */
export function useMessages(socket: ProfessionalSocket | null, keysName: string | null): MessagesState {
  const [threads, setThreads] = useState<Record<string, ShownMessage[]>>({});
  const [unread, setUnread] = useState<Record<string, number>>({});
  const keys = useRef<Promise<DeviceKeys> | null>(null);
  const open = useRef(new Set<string>());

  useEffect(() => {
    if (!socket || !keysName) return;
    const mine = (keys.current = deviceKeys(keysName));
    let live = true;
    const register = () => void mine.then((k) => request(socket, 'messages:device', { deviceId: k.deviceId, publicKey: k.publicKey })).catch(() => undefined);
    const arrived = async (m: WaitingMessage) => {
      const k = await mine;
      const shown = await showMessage(k.pair, k.deviceId, m);
      if (!live) return;
      setThreads((all) => ({ ...all, [m.visitorId]: merge(all[m.visitorId] ?? [], [shown]) }));
      if (m.from === 'visitor' && !open.current.has(m.visitorId)) setUnread((u) => ({ ...u, [m.visitorId]: (u[m.visitorId] ?? 0) + 1 }));
    };
    const onNew = (m: WaitingMessage) => void arrived(m);
    if (socket.connected) register();
    socket.on('connect', register);
    socket.on('messages:new', onNew);
    return () => {
      live = false;
      socket.off('connect', register);
      socket.off('messages:new', onNew);
    };
  }, [socket, keysName]);

  const send = async (visitorId: string, text: string) => {
    if (!socket || !keys.current) throw new MessageProblem('failed');
    try {
      const k = await keys.current;
      const { visitorKey, readers } = await request(socket, 'messages:readers', { visitorId });
      // The visitor's browser has not given its key yet (it is still connecting): nothing could reach them.
      if (!visitorKey) throw new MessageProblem('visitor_unreachable');
      const sealed = await sealForReaders(k.pair, visitorId, k.deviceId, text, [
        { to: 'visitor', publicKey: visitorKey },
        ...readers.map((r) => ({ to: r.deviceId, publicKey: r.publicKey })),
      ]);
      const { messageId, sentAt } = await request(socket, 'messages:send', { visitorId, deviceId: k.deviceId, copies: sealed.copies });
      setThreads((all) => ({ ...all, [visitorId]: merge(all[visitorId] ?? [], [{ messageId, author: null, text: sealed.text, sentAt }]) }));
    } catch (err) {
      throw problemOf(err);
    }
  };

  return {
    threads,
    unread,
    opened: (visitorId, isOpen) => {
      if (!isOpen) {
        open.current.delete(visitorId);
        return;
      }
      open.current.add(visitorId);
      setUnread((u) => ({ ...u, [visitorId]: 0 }));
      if (!socket || !keys.current) return;
      void keys.current.then(async (k) => {
        const { messages } = await request(socket, 'messages:list', { visitorId, deviceId: k.deviceId });
        const shown = await Promise.all(messages.map((m) => showMessage(k.pair, k.deviceId, m)));
        setThreads((all) => ({ ...all, [visitorId]: merge(all[visitorId] ?? [], shown) }));
      }).catch(() => undefined);
    },
    send,
    sendToEach: async (visitorIds, text) => {
      let reached = 0;
      let last: unknown;
      for (const id of visitorIds) {
        try {
          await send(id, text);
          reached++;
        } catch (err) {
          last = err;
        }
      }
      if (reached === 0 && last) throw last;
      return reached;
    },
  };
}
