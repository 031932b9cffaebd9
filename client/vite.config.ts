import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';

// The visitor app. Served by the signaling server at /r/<room>; its assets live under /v/. pay.html is the
// payment step's frame, served at <visit link>/pay.
// `--mode benchmark` makes the build the encryption benchmark compares against, the only one that may take
// part in a call unencrypted (see UNENCRYPTED_CALLS_ALLOWED in the call engine); it goes to dist-benchmark
// beside dist, which is what the server serves unless told otherwise (CLIENT_DIST / DASHBOARD_DIST).
export default defineConfig(({ mode }) => ({
  root: new URL('.', import.meta.url).pathname,
  base: '/v/',
  plugins: [preact()],
  build: {
    outDir: mode === 'benchmark' ? 'dist-benchmark' : 'dist',
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: { polyfill: false },
    // The app, and the payment frame: the only page that loads Stripe.js (see client/src/payment/PaymentFrame.tsx).
    rolldownOptions: { input: { main: new URL('index.html', import.meta.url).pathname, pay: new URL('pay.html', import.meta.url).pathname } },
  },
}));
