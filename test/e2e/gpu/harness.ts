/**
 * A bare page for the backend tests: `entry` bundled by esbuild (in memory) and served from
 * 127.0.0.1 (a secure context, so Chromium offers WebGPU) with tfjs' WASM binaries and the
 * embedded model beside it, opened in Debian's Chromium with `--enable-unsafe-webgpu` (its
 * adapter is SwiftShader, a software GPU; WebGL runs on SwiftShader too). The page is not
 * cross-origin isolated, so WASM runs single-threaded SIMD.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { launch } from '../browser.js';

/** Chromium flags that expose SwiftShader's WebGPU adapter to a page on 127.0.0.1. */
export const WEBGPU_FLAGS = ['--enable-unsafe-webgpu'];

const STATIC: Record<string, string> = {
  '/wasm/': 'node_modules/@tensorflow/tfjs-backend-wasm/dist/',
  '/models/embedded/': 'models/embedded/',
  '/samples/': 'samples/',
};
const TYPES: Record<string, string> = {
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.png': 'image/png',
  '.bin': 'application/octet-stream',
};

export interface TestPage {
  page: Page;
  browser: Browser;
  close(): Promise<void>;
}

/** Bundles `entry` (a browser module) and opens it; the page's errors fail `close()`. */
export async function openTestPage(entry: string): Promise<TestPage> {
  const bundle = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    external: ['fs', 'path', 'os', 'worker_threads', 'perf_hooks', 'crypto'],
    logLevel: 'error',
  });
  const script = bundle.outputFiles[0].contents;
  const server: Server = createServer(async (request, response) => {
    const url = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
    try {
      if (url === '/') {
        response.writeHead(200, { 'content-type': 'text/html' });
        return response.end('<!doctype html><script type="module" src="/page.js"></script>');
      }
      if (url === '/page.js') {
        response.writeHead(200, { 'content-type': TYPES['.js'] });
        return response.end(script);
      }
      const prefix = Object.keys(STATIC).find((p) => url.startsWith(p));
      const rest = prefix ? url.slice(prefix.length) : '';
      if (!prefix || rest.includes('..')) throw new Error('not found');
      const body = await readFile(path.join(STATIC[prefix], rest));
      response.writeHead(200, { 'content-type': TYPES[path.extname(url)] ?? 'text/plain' });
      response.end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const browser = await launch(WEBGPU_FLAGS);
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForFunction(() => 'convscopeTest' in globalThis, undefined, { timeout: 60_000 });
  return {
    page,
    browser,
    close: async () => {
      await browser.close();
      await new Promise((resolve) => server.close(resolve));
      if (errors.length > 0) throw new Error(`page errors: ${errors.join('; ')}`);
    },
  };
}
