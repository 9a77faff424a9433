import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// The page is a Jinja2 template (templates/canvas.html) that reads dist/.vite/manifest.json,
// so there is no index.html: the entry is the script itself, served under /static.
export default defineConfig({
  plugins: [react()],
  base: "/static/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    manifest: true,
    chunkSizeWarningLimit: 800, // one chunk (React, React Flow, dagre, Chart.js) loads once and is cached
    rolldownOptions: { input: "src/main.tsx" },
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
