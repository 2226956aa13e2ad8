/**
 * The workbench gives the same numbers on wasm, webgl and webgpu (Chromium's SwiftShader for
 * the GPU ones): one page per backend runs 3 steps of the lucid preset on 4 filters of
 * block2_conv2 (seed 3, the run that once read 0.392 on wasm and 0.390 on webgl/webgpu), then
 * the feature maps and top-5 of a sample, the inside view's attributions, and an in-page
 * top-k scan of 5 picked images. Values are read unrounded from the page's data attributes.
 * The wasm page opens without `?backend=`: `auto` times a probe step on every backend and must
 * keep the fastest, which on SwiftShader is WASM.
 * Each backend's wall time goes to test-output/e2e/gpu-workbench.json.
 */
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAVE_BROWSER, SHOTS, launch, serve, watchErrors, type Served } from './browser.js';
import { WEBGPU_FLAGS } from './gpu/harness.js';

const BACKENDS = ['wasm', 'webgl', 'webgpu'] as const;
type Backend = (typeof BACKENDS)[number];
const QUERY =
  'layer=block2_conv2&filters=0-3&channel=1&seed=3&o.steps=3&image=/samples/inputs/ankle-boot.png';

interface Readings {
  badge: { backend: string; text: string; measured: { backend: string; ms: number }[] };
  filters: number[];
  means: number[];
  top5: number[];
  attributions: number[];
  patches: number[];
}

const numbers = (page: Page, selector: string, attribute: string) =>
  page
    .locator(selector)
    .evaluateAll((els, a) => els.map((e) => Number(e.getAttribute(a))), attribute);

/** Opens the workbench on `backend` and reads every view's numbers, switching views in place. */
async function readWorkbench(browser: Browser, url: string, backend: Backend, files: string[]) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = watchErrors(page);
  // wasm: no ?backend=, so `auto` measures and must land on wasm here.
  const choice = backend === 'wasm' ? '' : `backend=${backend}&`;
  await page.goto(`${url}?${choice}view=filters&${QUERY}`);
  await page.waitForSelector(`.badge[data-backend="${backend}"]`, { timeout: 90_000 });
  const badge = {
    backend,
    text: (await page.textContent('.badge')) ?? '',
    measured: JSON.parse((await page.getAttribute('.badge', 'data-measured')) ?? '[]'),
  };
  await page.waitForSelector('#view[data-state="ready"]', { timeout: 60_000 });
  await page.click('button.run');
  await page.waitForSelector('.tiles[data-done="true"]', { timeout: 120_000 });
  const filters = await numbers(page, '.optimize .tile .value', 'data-value');

  await page.click('.tab[data-view="maps"]');
  await page.waitForSelector('.tiles.maps[data-channels] .tile[data-mean]', { timeout: 60_000 });
  const means = await numbers(page, '.tiles.maps .tile', 'data-mean');
  const top5 = await numbers(page, '.top5 li', 'data-probability');

  await page.click('.tab[data-view="inside"]');
  await page.waitForSelector('.attributions [data-method="gradcam"]', { timeout: 60_000 });
  const attributions = [
    ...(await numbers(page, '.attributions [data-method]', 'data-min')),
    ...(await numbers(page, '.attributions [data-method]', 'data-max')),
  ];
  await page.setInputFiles('input[name="patch-images"]', files);
  await page.waitForSelector('.patches .tile[data-activation]', { timeout: 60_000 });
  const patches = await numbers(page, '.patches .tile', 'data-activation');
  expect(errors).toEqual([]);
  await page.close();
  return { badge, filters, means, top5, attributions, patches } satisfies Readings;
}

/**
 * |a - b| <= 1e-4 |a| + 1e-6 elementwise: float32 rounding (measured: ~1e-7 relative), not a
 * different kernel (the max-pool tie rule moved filter 0 by 0.4% after one step).
 */
function expectClose(actual: number[], expected: number[], label: string): void {
  expect(actual.length, label).toBe(expected.length);
  expect(actual.length, label).toBeGreaterThan(0);
  actual.forEach((v, i) => {
    expect(Math.abs(v - expected[i]), `${label}[${i}]: ${v} vs ${expected[i]}`).toBeLessThanOrEqual(
      1e-4 * Math.abs(expected[i]) + 1e-6,
    );
  });
}

describe.skipIf(!HAVE_BROWSER)('the workbench on wasm, webgl and webgpu (Chromium)', () => {
  let server: Served;
  let browser: Browser;
  const readings = {} as Record<Backend, Readings>;

  beforeAll(async () => {
    server = await serve();
    browser = await launch(WEBGPU_FLAGS);
    const files = (await readdir('samples/fashion-mnist'))
      .filter((f) => f.endsWith('.png'))
      .slice(0, 5)
      .map((f) => path.join('samples/fashion-mnist', f));
    const seconds: Record<string, number> = {};
    for (const backend of BACKENDS) {
      const start = Date.now();
      readings[backend] = await readWorkbench(browser, server.url, backend, files);
      seconds[backend] = (Date.now() - start) / 1000;
    }
    await writeFile(path.join(SHOTS, 'gpu-workbench.json'), JSON.stringify({ seconds, readings }));
  }, 400_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('auto keeps the backend whose probe step was fastest, and the badge says so', () => {
    const { measured, text } = readings.wasm.badge;
    expect(measured.map((m) => m.backend).sort()).toEqual(['wasm', 'webgl', 'webgpu']);
    expect(measured.map((m) => m.ms)).toEqual([...measured.map((m) => m.ms)].sort((a, b) => a - b));
    expect(measured[0].backend).toBe('wasm');
    expect(text).toMatch(/^wasm · \d+ threads? · fastest of 3$/);
    // On SwiftShader both GPU backends lose by their own times (no renderer-name rule).
    for (const m of measured.slice(1)) expect(m.ms).toBeGreaterThan(measured[0].ms);
  });

  for (const part of ['filters', 'means', 'top5', 'attributions', 'patches'] as const) {
    it(`gives the same ${part} on every backend`, () => {
      for (const backend of ['webgl', 'webgpu'] as const) {
        expectClose(readings[backend][part], readings.wasm[part], `${backend} ${part}`);
      }
    });
  }
});
