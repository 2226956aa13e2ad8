/**
 * `npm run bench:browser [-- --json]`: the workbench's speed in headless Chromium (Debian's),
 * measured through the page as a user runs it (`convscope serve`, the WASM backend): steps/s
 * of activation maximization on the embedded model (1 and 16 filters) and on VGG16 without
 * its top (random weights, 128 px, one filter of block5_conv3), each with the WASM threads
 * the page asks for (one per core) and with one thread; then the embedded cases on WebGL and
 * WebGPU (Chromium with `--enable-unsafe-webgpu`), each row naming the GPU the page got and
 * marked "software GPU" when it is a software rasterizer (SwiftShader here: fewer steps, and
 * no VGG16 row, which would take minutes a step). Needs `npm run build` first.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { Browser, Page } from 'playwright-core';
import { findZooRecord, buildZooArchitecture } from '../src/core/models/zoo.js';
import { initBackend } from '../src/node/backend.js';
import { saveModelDir } from '../src/node/cache/tfjs-model-dir.js';
import { launch, serve } from '../test/e2e/browser.js';
import { WEBGPU_FLAGS } from '../test/e2e/gpu/harness.js';

interface Row {
  case: string;
  value: number;
  unit: string;
  threads: number;
  backend: string;
  /** The GPU's name (GPU rows), and whether it is a software one. */
  gpu?: string;
  softwareGpu?: boolean;
}

/** What the page sees of the GPU (the root tsconfig has no DOM types). */
interface PageGlobals {
  navigator: {
    gpu?: {
      requestAdapter(): Promise<{
        info?: { vendor: string; architecture: string; description: string };
      } | null>;
    };
  };
  document: {
    createElement(tag: 'canvas'): {
      getContext(kind: 'webgl2'): {
        RENDERER: number;
        getExtension(name: string): { UNMASKED_RENDERER_WEBGL: number } | null;
        getParameter(parameter: number): unknown;
      } | null;
    };
  };
}

/** The page's name for its WebGL renderer or WebGPU adapter (outside the worker: same GPU). */
async function gpuName(page: Page, backend: string): Promise<string> {
  return page.evaluate(async (b) => {
    const { navigator, document } = globalThis as unknown as PageGlobals;
    if (b === 'webgpu') {
      const info = (await navigator.gpu?.requestAdapter())?.info;
      return info ? `${info.vendor} ${info.architecture} ${info.description}`.trim() : 'none';
    }
    const gl = document.createElement('canvas').getContext('webgl2');
    const debug = gl?.getExtension('WEBGL_debug_renderer_info');
    return gl
      ? String(gl.getParameter(debug ? debug.UNMASKED_RENDERER_WEBGL : gl.RENDERER))
      : 'none';
  }, backend);
}

async function stepsPerSecond(
  browser: Browser,
  url: string,
): Promise<{ rate: number; threads: number; gpu?: string }> {
  const page = await browser.newPage();
  try {
    await page.goto(url);
    await page.waitForSelector('#view[data-state="ready"]', { timeout: 300_000 });
    const backend = (await page.getAttribute('.badge', 'data-backend')) ?? 'wasm';
    const gpu = backend === 'wasm' ? undefined : await gpuName(page, backend);
    const threads = Number(
      /(\d+) XNNPACK threads/.exec((await page.getAttribute('.badge', 'title')) ?? '')?.[1] ?? 1,
    );
    await page.click('button.run');
    await page.waitForSelector('.tiles[data-done="true"]', { timeout: 600_000 });
    const status = (await page.textContent('.status')) ?? '';
    const match = /\(([\d.]+) steps\/s/.exec(status);
    if (!match) throw new Error(`no rate in: ${status}`);
    return { rate: Number(match[1]), threads, gpu };
  } finally {
    await page.close();
  }
}

const json = process.argv.includes('--json');
await initBackend('wasm');
const vggDir = await mkdtemp(path.join(tmpdir(), 'convscope-bench-vgg-'));
const record = findZooRecord('vgg16-notop')!;
const vgg = buildZooArchitecture(record);
await saveModelDir(vgg, vggDir, {
  meta: { preprocess: record.preprocess, name: 'vgg16-notop-random' },
});
vgg.dispose();
tf.disposeVariables();

const rows: Row[] = [];
const embedded = await serve();
const vggServer = await serve('--model', vggDir);
const browser = await launch(WEBGPU_FLAGS);
try {
  const cases: [string, Awaited<ReturnType<typeof serve>>, string][] = [
    ['embedded-1-filter', embedded, 'layer=block3_conv2&filters=0&o.steps=200'],
    ['embedded-16-filters', embedded, 'layer=block2_conv2&filters=0-15&o.steps=200'],
    ['vgg16-block5_conv3-128', vggServer, 'layer=block5_conv3&filters=0&o.steps=8&o.size=128'],
  ];
  for (const [name, server, query] of cases) {
    for (const threads of [undefined, 1]) {
      const url = `${server.url}?backend=wasm&seed=0&${query}${threads ? `&threads=${threads}` : ''}`;
      const { rate, threads: used } = await stepsPerSecond(browser, url);
      rows.push({ case: name, value: rate, unit: 'steps/s', threads: used, backend: 'wasm' });
      if (!json)
        console.log(
          `${name.padEnd(26)} ${rate.toFixed(2).padStart(8)} steps/s  (${used} WASM thread${used === 1 ? '' : 's'}${threads ? ', asked for 1' : ''})`,
        );
    }
  }
  // GPU rows: fewer steps (a software GPU runs ~0.7 steps/s for 8 filters of block2_conv2);
  // the rate includes the first steps' shader compilation, as a user's first run does.
  const gpuCases: [string, string][] = [
    ['embedded-1-filter', 'layer=block3_conv2&filters=0&o.steps=32'],
    ['embedded-16-filters', 'layer=block2_conv2&filters=0-15&o.steps=16'],
  ];
  for (const backend of ['webgl', 'webgpu']) {
    for (const [name, query] of gpuCases) {
      const url = `${embedded.url}?backend=${backend}&seed=0&${query}`;
      const { rate, gpu } = await stepsPerSecond(browser, url);
      const softwareGpu = /swiftshader|llvmpipe|software/i.test(gpu ?? '');
      rows.push({
        case: name,
        value: rate,
        unit: 'steps/s',
        threads: 1,
        backend,
        gpu,
        softwareGpu,
      });
      if (!json)
        console.log(
          `${name.padEnd(26)} ${rate.toFixed(2).padStart(8)} steps/s  (${backend} on ${gpu}${softwareGpu ? ': software GPU' : ''})`,
        );
    }
  }
} finally {
  await browser.close();
  await embedded.stop();
  await vggServer.stop();
  await rm(vggDir, { recursive: true, force: true });
}
if (json) console.log(JSON.stringify(rows));
