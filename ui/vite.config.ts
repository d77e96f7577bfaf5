import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [svelte()],
  clearScreen: false,
  // The API section's renderer (Swagger UI, ~1.6 MB) is a chunk of its own, loaded only there.
  build: { target: 'safari15', outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 1700 },
  test: { include: ['src/**/*.test.ts'], environment: 'node' },
});
