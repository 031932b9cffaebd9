import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';

// The visitor app. Served by the signaling server at /r/<room>; its assets live under /v/.
export default defineConfig({
  root: new URL('.', import.meta.url).pathname,
  base: '/v/',
  plugins: [preact()],
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', modulePreload: { polyfill: false } },
});
