/**
 * Builds the workbench (web/) into dist/web, which `convscope serve` serves. The compute
 * worker is an ES module worker; tfjs' .wasm files are emitted as assets. The dev server
 * sends the same cross-origin isolation headers as `serve`, so threaded WASM works there too.
 */
import { readFileSync } from 'node:fs';
import { defineConfig } from 'vite';

const { version } = JSON.parse(
  readFileSync(new URL('./package.json', import.meta.url), 'utf8'),
) as {
  version: string;
};
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  root: 'web',
  base: './',
  define: { __CONVSCOPE_VERSION__: JSON.stringify(version) },
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    target: 'es2022',
    // Vite 8's default minifier (oxc) broke the page ("e is not defined" at start-up); esbuild's
    // output runs.
    minify: 'esbuild',
    chunkSizeWarningLimit: 4096,
    reportCompressedSize: false,
  },
  worker: { format: 'es' },
  server: { headers: isolation },
  preview: { headers: isolation },
});
