import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';

// The visitor app. Served by the signaling server at /r/<room>; its assets live under /v/. pay.html is the
// payment step's frame, served at <visit link>/pay.
export default defineConfig({
  root: new URL('.', import.meta.url).pathname,
  base: '/v/',
  plugins: [preact()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: { polyfill: false },
    // The app, and the payment frame: the only page that loads Stripe.js (see client/src/payment/PaymentFrame.tsx).
    rolldownOptions: { input: { main: new URL('index.html', import.meta.url).pathname, pay: new URL('pay.html', import.meta.url).pathname } },
  },
});
