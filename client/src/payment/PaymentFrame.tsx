import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { PAY_FRAME_PATH, PAY_FRAME_SOURCE, payFrameMessage, type PayFrameStart } from '../../../signaling/protocol/index.ts';
import { i18n, t } from '../strings.ts';

/**
 * The payment step in the visitor app: a same-origin frame (`<visit link>/pay`) that loads Stripe.js, takes
 * the card and says when it is authorized. Stripe.js never runs in the visitor app itself (its CSP does not
 * allow it); when this component goes (the step done), the frame goes, and Stripe.js with it.
 */
export function PaymentFrame({ visitPath, visitorToken, privacyPage, onAuthorized }: { visitPath: string; visitorToken: string; privacyPage: string; onAuthorized: () => void }) {
  const frame = useRef<HTMLIFrameElement>(null);
  const [height, setHeight] = useState<number | null>(null);
  // (A layout effect: listening before the frame can have loaded and said it is ready.)
  useLayoutEffect(() => {
    const listener = (event: MessageEvent) => {
      const frameWindow = frame.current?.contentWindow;
      if (event.origin !== location.origin || !frameWindow || event.source !== frameWindow) return;
      const parsed = payFrameMessage.safeParse(event.data);
      if (!parsed.success) return;
      const message = parsed.data;
      if (message.type === 'ready') {
        const start: PayFrameStart = { source: PAY_FRAME_SOURCE, type: 'start', visitorToken, language: i18n.language(), privacyPage };
        frameWindow.postMessage(start, location.origin);
      } else if (message.type === 'height') setHeight(message.height);
      else onAuthorized();
    };
    window.addEventListener('message', listener);
    return () => window.removeEventListener('message', listener);
  }, [visitorToken, privacyPage, onAuthorized]);
  return (
    <iframe
      ref={frame}
      class="pay-frame"
      title={t('payment.heading')}
      src={`${visitPath.replace(/\/$/, '')}/${PAY_FRAME_PATH}`}
      style={height ? { height: `${height}px` } : undefined}
    />
  );
}
