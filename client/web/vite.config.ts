import { defineConfig } from "vite";

// React without a plugin: esbuild's automatic JSX runtime.
export default defineConfig({
  esbuild: { jsx: "automatic" },
  build: {
    outDir: "dist",
    sourcemap: true,
    rollupOptions: {
      onwarn(warning, warn) {
        // TanStack Query's "use client" directives mean nothing outside React
        // Server Components; their source maps cannot point into them either.
        if (warning.code === "MODULE_LEVEL_DIRECTIVE" || warning.code === "SOURCEMAP_ERROR") return;
        warn(warning);
      },
    },
  },
  test: { include: ["src/**/*.test.ts"] },
} as any);
