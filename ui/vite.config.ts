import { svelte } from "@sveltejs/vite-plugin-svelte";
import { defineConfig } from "vitest/config";

// Tauri serves the built files from ui/dist; the dev server is only for `vite` by hand.
export default defineConfig({
  plugins: [svelte()],
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: {
    target: "safari15",
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
    // The territory map's data (src/assets/world.topo.json, 1.1 MB) is a chunk of its own, loaded
    // from the app's files the first time a map is shown; every other chunk stays well under this.
    chunkSizeWarningLimit: 1_200,
  },
  test: { include: ["src/**/*.test.ts"], environment: "node" },
});
