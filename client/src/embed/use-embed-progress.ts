import { useEffect, useRef, useState } from 'preact/hooks';
import type { EmbedView } from '../../../signaling/protocol/index.ts';
import { EmbedBridge } from './embed-bridge.ts';

/** Where the consultation is, as an embedded page sees it (the same steps on both sides). */
export type EmbedStage = 'loading' | 'invalid' | 'before' | 'waiting' | 'call' | 'ended';

/**
 * Tells the EHR page around us how the consultation goes, each step once and in order: `ready` when the
 * line to it is open, then `visitor-arrived`, `visitor-admitted` and `call-ended` as the stage moves
 * (`error` for a link that is not valid). `hangUp`: what the parent's `hang-up` command does now (nothing
 * outside a call). Does nothing at all on a page that is not framed by an allowed origin.
 */
export function useEmbedProgress(view: EmbedView, stage: EmbedStage, hangUp?: () => void): void {
  const [bridge, setBridge] = useState<EmbedBridge | null>(null);
  /** What the parent has been told: each event once, so a stage seen again (a list refreshed in between) repeats nothing. */
  const told = useRef(new Set<string>());
  const hangUpRef = useRef(hangUp);
  hangUpRef.current = hangUp;

  useEffect(() => {
    let cancelled = false;
    void EmbedBridge.open(view).then((b) => {
      if (!b || cancelled) return;
      b.post({ type: 'ready' });
      setBridge(b);
    });
    return () => {
      cancelled = true;
    };
  }, [view]);

  useEffect(() => {
    if (!bridge) return;
    const tell = (type: 'visitor-arrived' | 'visitor-admitted' | 'call-ended') => {
      if (told.current.has(type)) return;
      told.current.add(type);
      bridge.post({ type });
    };
    if (stage === 'invalid' && !told.current.has('error')) {
      told.current.add('error');
      bridge.post({ type: 'error', code: 'link_invalid' });
    } else if (stage === 'waiting') tell('visitor-arrived');
    else if (stage === 'call') {
      // A page opened mid-call still says, in order, that the visitor had arrived.
      tell('visitor-arrived');
      tell('visitor-admitted');
    } else if (stage === 'ended' && told.current.has('visitor-admitted')) tell('call-ended');
  }, [bridge, stage]);

  useEffect(() => bridge?.onCommand((command) => command === 'hang-up' && hangUpRef.current?.()), [bridge]);
}
