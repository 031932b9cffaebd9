import { useEffect, useRef, useState } from 'preact/hooks';
import type { CallInvitation } from '../../../signaling/protocol/index.ts';
import { request } from '../../../client/src/call-engine/request.ts';
import type { ProfessionalSocket } from '../pro-socket.ts';

export interface CallInvitations {
  /** The colleagues' calls this professional is asked into, oldest first. */
  invitations: CallInvitation[];
  /** Joined or declined here: offered no more, without waiting for the server to say so. */
  answered(callId: string): void;
}

/**
 * The pending invitations into colleagues' calls, as the server stores them: listed at every
 * (re)connection, so one made while this dashboard was loading or away is offered all the same, and
 * again whenever they change (asked, joined or declined in another tab, the call ended). Only the answer
 * to the latest listing counts: an older one, overtaken by a change, would bring back what just went.
 */
export function useCallInvitations(socket: ProfessionalSocket | null): CallInvitations {
  const [invitations, setInvitations] = useState<CallInvitation[]>([]);
  const answered = useRef(new Set<string>());

  useEffect(() => {
    if (!socket) return;
    let latest = 0;
    const load = () => {
      const asked = ++latest;
      request(socket, 'call:invitations', {}).then(
        (res) => asked === latest && setInvitations(res.invitations.filter((i) => !answered.current.has(i.callId))),
        () => undefined,
      );
    };
    // Asked (again) into a call declined here before: it is offered again.
    const invited = ({ callId }: { callId: string }) => {
      answered.current.delete(callId);
      load();
    };
    if (socket.connected) load();
    const changes = ['connect', 'call:invitations-changed', 'call:ended'] as const;
    for (const event of changes) socket.on(event, load);
    socket.on('call:invited', invited);
    return () => {
      latest++;
      for (const event of changes) socket.off(event, load);
      socket.off('call:invited', invited);
      setInvitations([]);
    };
  }, [socket]);

  return {
    invitations,
    answered: (callId) => {
      answered.current.add(callId);
      setInvitations((list) => list.filter((i) => i.callId !== callId));
    },
  };
}
