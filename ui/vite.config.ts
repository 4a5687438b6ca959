import { defineConfig } from "vite";
import { svelte } from "@sveltejs/vite-plugin-svelte";

// The bundle is embedded in the app: no remote content, no CDN, strict CSP (see src-tauri/tauri.conf.json).
export default defineConfig({
  plugins: [svelte()],
  clearScreen: false,
  build: { target: "es2022", outDir: "dist", emptyOutDir: true, cssCodeSplit: false },
  test: { include: ["src/**/*.test.ts"], environment: "node" },
});
