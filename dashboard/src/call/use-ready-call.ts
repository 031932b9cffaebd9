import { useEffect, useRef, useState } from 'preact/hooks';
import { CallEngine } from '../../../client/src/call-engine/call-engine.ts';
import type { LocalMedia } from '../../../client/src/call-engine/local-media.ts';
import { request } from '../../../client/src/call-engine/request.ts';
import type { ProfessionalSocket } from '../pro-socket.ts';

/** Ready calls an admission took over: the call closes them, not the hook's cleanup. */
const admittedInto = new WeakSet<CallEngine>();

export interface ReadyCall {
  /** The ready call's engine, if one is set up and still usable. */
  current(): CallEngine | null;
  /** An admission is using it: from now on it is the call, and the hook lets go of it. */
  take(engine: CallEngine): void;
  /** The admission failed: it is a ready call again (or given up, if no longer wanted meanwhile). */
  giveBack(engine: CallEngine): void;
}

/**
 * While someone waits and the camera preview is on, the professional's media is set up in a ready call
 * (`call:get-ready`) and sends nothing; admitting a visitor into it then only has to switch the sending
 * on, and the visitor receives the professional from the first answer of its join. Without it, the
 * professional's join and negotiation would sit between the click on Admit and the first frame.
 */
export function useReadyCall(socket: ProfessionalSocket | null, preview: LocalMedia | null, inCall: boolean): ReadyCall {
  const ref = useRef<CallEngine | null>(null);
  // A ready call that ended (its media server gone for good) is replaced by a fresh one.
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    if (!socket || !preview || inCall) return;
    let engine: CallEngine | null = null;
    let cancelled = false;
    request(socket, 'call:get-ready', {}).then(({ callId }) => {
      if (cancelled) return void request(socket, 'call:hang-up', { callId }).catch(() => undefined);
      const e = new CallEngine(socket, callId, preview, { sending: false });
      engine = e;
      ref.current = e;
      e.subscribe((s) => {
        if ((s.status === 'ended' || s.status === 'failed') && !admittedInto.has(e) && ref.current === e) {
          ref.current = null;
          // A server that offers calls unencrypted would refuse the next ready call too: no retry loop;
          // the admission's own call then shows the professional why.
          if (s.encryption.mode !== 'refused') setGeneration((g) => g + 1);
        }
      });
      void e.start().catch(() => undefined);
    }, () => undefined);
    return () => {
      cancelled = true;
      if (ref.current === engine) ref.current = null;
      if (engine && !admittedInto.has(engine)) giveUp(socket, engine);
    };
  }, [socket, preview, inCall, generation]);

  return {
    current: () => (ref.current?.usable ? ref.current : null),
    take: (engine) => {
      admittedInto.add(engine);
      void engine.setSending(true);
    },
    giveBack: (engine) => {
      admittedInto.delete(engine);
      if (ref.current === engine && socket) void engine.setSending(false);
      else if (socket) giveUp(socket, engine);
    },
  };
}

function giveUp(socket: ProfessionalSocket, engine: CallEngine): void {
  void request(socket, 'call:hang-up', { callId: engine.callId }).catch(() => undefined);
  engine.close();
}
