import { useEffect, useRef, useState } from 'preact/hooks';
import type { EmbedView } from '../../../signaling/protocol/index.ts';
import { EmbedBridge } from './embed-bridge.ts';

/** Where the consultation is, as an embedded page sees it (the same steps on both sides). */
export type EmbedStage = 'loading' | 'invalid' | 'before' | 'waiting' | 'call' | 'ended';

/**
 * Tells the EHR page around us how the consultation goes, once per step and in order: `ready` when the
 * line to it is open, then `visitor-arrived`, `visitor-admitted` and `call-ended` as the stage moves
 * (`error` for a link that is not valid). `hangUp`: what the parent's `hang-up` command does now (nothing
 * outside a call). Does nothing at all on a page that is not framed by an allowed origin.
 */
export function useEmbedProgress(view: EmbedView, stage: EmbedStage, hangUp?: () => void): void {
  const [bridge, setBridge] = useState<EmbedBridge | null>(null);
  const told = useRef<EmbedStage | null>(null);
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
    if (!bridge || stage === told.current) return;
    const before = told.current;
    told.current = stage;
    if (stage === 'invalid') bridge.post({ type: 'error', code: 'link_invalid' });
    else if (stage === 'waiting') bridge.post({ type: 'visitor-arrived' });
    else if (stage === 'call') {
      // Admitted straight from a page that opened mid-wait still says the visitor had arrived first.
      if (before !== 'waiting') bridge.post({ type: 'visitor-arrived' });
      bridge.post({ type: 'visitor-admitted' });
    } else if (stage === 'ended' && before === 'call') bridge.post({ type: 'call-ended' });
  }, [bridge, stage]);

  useEffect(() => bridge?.onCommand((command) => command === 'hang-up' && hangUpRef.current?.()), [bridge]);
}
