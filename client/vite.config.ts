import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  plugins: [react()],
  resolve: {
    alias: {
      '@hqt/shared': fileURLToPath(new URL('../shared/src/index.ts', import.meta.url)),
    },
  },
  server: {
    proxy: {
      '/api': { target: 'http://localhost:3000', changeOrigin: false },
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    // One main bundle on purpose: the service worker keeps exactly what index.html references,
    // so every page (the offline wallet above all) is in the cached shell. Only two online-only
    // pieces load on demand: the dashboard (ECharts) and jsQR (the scanner's fallback decoder).
    // Joi arrives as its prebuilt browser file through the package's "browser" field.
    chunkSizeWarningLimit: 900,
  },
});
