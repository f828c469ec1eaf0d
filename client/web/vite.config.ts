import { defineConfig } from "vite";

// React without a plugin: esbuild's automatic JSX runtime.
export default defineConfig({
  esbuild: { jsx: "automatic" },
  build: { outDir: "dist", sourcemap: true },
  test: { include: ["src/**/*.test.ts"] },
} as any);
