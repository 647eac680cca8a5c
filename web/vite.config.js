import { defineConfig } from 'vitest/config'
import react from '@vitejs/plugin-react'
import tailwindcss from '@tailwindcss/vite'

// The Samwaad server (C++) listens on 3000 by default; `npm run dev` proxies
// the API, the realtime endpoint and uploaded media to it so the client is
// always same-origin, exactly as in production.
const SERVER = process.env.SAMWAAD_SERVER ?? 'http://127.0.0.1:3000'

export default defineConfig({
  plugins: [react(), tailwindcss()],
  server: {
    proxy: {
      '/api': { target: SERVER, changeOrigin: true },
      '/media': { target: SERVER, changeOrigin: true },
      '/socket.io': { target: SERVER, changeOrigin: true, ws: true },
    },
  },
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    // The server's CSP forbids inline scripts and styles: never inline assets
    // as data: URIs into CSS/JS either, keep everything a hashed file.
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  test: {
    // web/e2e/*.test.mjs are browser end-to-end tests run by node --test
    // (scripts/run-e2e.sh), not by Vitest.
    include: ['src/**/*.test.{js,jsx}'],
    environment: 'jsdom',
    setupFiles: ['./src/test/setup.js'],
    restoreMocks: true,
    unstubGlobals: true,
  },
})
