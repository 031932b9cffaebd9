import { useEffect, useRef, useState } from 'preact/hooks';
import type { WaitingMessage } from '../../../signaling/protocol/index.ts';
import { deviceKeys, type DeviceKeys } from '../call-engine/e2ee/device-keys.ts';
import { request } from '../call-engine/request.ts';
import { merge, MessageProblem, problemOf, sealForReaders, showMessage, type ShownMessage } from '../messages/shown-message.ts';
import type { VisitorSocket } from '../visit-session.ts';

export const visitorKeysName = (visitorId: string) => `visitor:${visitorId}`;

/**
 * The waiting visitor's messages with the room's professionals: this browser's key (kept for the visit),
 * the thread as this visitor's copies, and sending (sealed for each professional's dashboard and for
 * the visitor's own later reading).
 */
export function useWaitingMessages(socket: VisitorSocket | null, visitorId: string | null, waiting: boolean) {
  const [messages, setMessages] = useState<ShownMessage[]>([]);
  const keys = useRef<Promise<DeviceKeys> | null>(null);

  useEffect(() => {
    if (!socket || !visitorId || !waiting) return;
    const mine = (keys.current ??= deviceKeys(visitorKeysName(visitorId)));
    let live = true;
    const show = async (m: WaitingMessage) => showMessage((await mine).pair, 'visitor', m);
    const load = async () => {
      const own = await mine;
      await request(socket, 'messages:key', { publicKey: own.publicKey });
      const { messages: stored } = await request(socket, 'messages:list', {});
      const shown = await Promise.all(stored.map(show));
      if (live) setMessages((t) => merge(t, shown));
    };
    const arrived = (m: WaitingMessage) => void show(m).then((s) => live && setMessages((t) => merge(t, [s])));
    const onConnect = () => void load().catch(() => undefined);
    if (socket.connected) onConnect();
    socket.on('connect', onConnect);
    socket.on('messages:new', arrived);
    return () => {
      live = false;
      socket.off('connect', onConnect);
      socket.off('messages:new', arrived);
    };
  }, [socket, visitorId, waiting]);

  const send = async (text: string): Promise<void> => {
    if (!socket || !visitorId || !keys.current) throw new MessageProblem('failed');
    try {
      const own = await keys.current;
      const { readers } = await request(socket, 'messages:readers', {});
      if (readers.length === 0) throw new MessageProblem('no_readers');
      const sealed = await sealForReaders(own.pair, visitorId, 'visitor', text, [
        ...readers.map((r) => ({ to: r.deviceId, publicKey: r.publicKey })),
        { to: 'visitor', publicKey: own.publicKey },
      ]);
      const { messageId, sentAt } = await request(socket, 'messages:send', { copies: sealed.copies });
      setMessages((t) => merge(t, [{ messageId, author: null, text: sealed.text, sentAt }]));
    } catch (err) {
      throw problemOf(err);
    }
  };

  return { messages, send };
}
