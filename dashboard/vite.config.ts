import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';

// The professional's app, served at /dashboard/.
export default defineConfig({
  root: new URL('.', import.meta.url).pathname,
  base: '/dashboard/',
  plugins: [preact()],
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', modulePreload: { polyfill: false } },
});
