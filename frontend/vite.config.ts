/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The dev server forwards /api to the local Functions host (make run), so the app is same-origin
// in development exactly as it is behind Azure Static Web Apps' linked API.
const apiTarget = process.env.CALLCENTER_API_URL ?? "http://127.0.0.1:7071";

export default defineConfig({
  plugins: [react()],
  server: {
    host: "127.0.0.1",
    proxy: { "/api": { target: apiTarget, changeOrigin: false } },
  },
  preview: { host: "127.0.0.1" },
  build: {
    outDir: "dist",
    sourcemap: false,
    // No inline scripts or styles: the CSP in staticwebapp.config.json forbids them.
    assetsInlineLimit: 0,
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
    setupFiles: ["src/test/setup.ts"],
    restoreMocks: true,
  },
});
