// First: the client secret a bank's redirect put in the address goes (see the module).
import { returnedFromBank } from './bank-return.ts';
// Then: storage may be denied inside an EHR's iframe, and so in this frame within it.
import '../embed/storage-fallback.ts';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { PAY_FRAME_SOURCE, payFrameStart, type PayFrameMessage } from '../../../signaling/protocol/index.ts';
import { i18n } from '../strings.ts';
import { PaymentStep } from './PaymentStep.tsx';
import '../styles.css';

/*
 * The payment frame (`<visit link>/pay`): the one page that loads Stripe.js. The visitor app frames it for
 * the payment step and removes it once the card is authorized, so Stripe's script is gone before the
 * waiting room and the call. It learns whose payment it is from the visitor app (postMessage, same origin).
 */

const toApp = (message: { type: 'ready' } | { type: 'authorized' } | { type: 'height'; height: number }) => {
  const sent: PayFrameMessage = { source: PAY_FRAME_SOURCE, ...message };
  window.parent.postMessage(sent, location.origin);
};

function PayFrame() {
  const [start, setStart] = useState<{ visitorToken: string; privacyPage: string } | null>(null);
  useEffect(() => {
    const listener = (event: MessageEvent) => {
      if (event.origin !== location.origin || event.source !== window.parent) return;
      const start = payFrameStart.safeParse(event.data);
      if (!start.success) return;
      i18n.setLanguage(start.data.language);
      setStart({ visitorToken: start.data.visitorToken, privacyPage: start.data.privacyPage });
    };
    window.addEventListener('message', listener);
    const sized = new ResizeObserver(() => toApp({ type: 'height', height: Math.ceil(document.documentElement.scrollHeight) }));
    sized.observe(document.body);
    toApp({ type: 'ready' });
    return () => {
      window.removeEventListener('message', listener);
      sized.disconnect();
    };
  }, []);
  if (!start) return null;
  return <PaymentStep visitorToken={start.visitorToken} privacyPage={start.privacyPage} returnedFromBank={returnedFromBank} onAuthorized={() => toApp({ type: 'authorized' })} />;
}

render(<PayFrame />, document.getElementById('app')!);
