/**
 * The workbench with models other than the embedded one, in Debian's Chromium: a tiny RGB
 * classifier with 10-channel conv layers, given to `convscope serve --model DIR` or opened by
 * URL from another origin (model-host.ts). Default filters fit the layer, an explicit
 * out-of-range spec is an error (and the status says so), the picker names the served model,
 * labels.json beside a URL model names the classes, RGB models get RGB samples, the last
 * model choice wins over a load still running, and threaded WASM really runs threads.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAVE_BROWSER, SHOTS, launch, serve, watchErrors, type Served } from './browser.js';
import { TINY_LABELS, hostModel, writeTinyModel, type ModelHost } from './model-host.js';

/** Is the canvas colour (some pixel with red, green and blue apart)? */
function isColour(page: Page, selector: string): Promise<boolean> {
  return page.$eval(selector, (canvas) => {
    const c = canvas as HTMLCanvasElement;
    const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    for (let i = 0; i < data.length; i += 4) {
      if (Math.abs(data[i] - data[i + 1]) > 24 || Math.abs(data[i + 1] - data[i + 2]) > 24)
        return true;
    }
    return false;
  });
}

describe.skipIf(!HAVE_BROWSER)('workbench with other models in Chromium', () => {
  let dir: string;
  let modelDir: string;
  let host: ModelHost;
  let plain: Served;
  let withModel: Served;
  let browser: Browser;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'convscope-e2e-models-'));
    modelDir = await writeTinyModel(path.join(dir, 'tiny-rgb'));
    host = await hostModel(modelDir);
    [plain, withModel, browser] = await Promise.all([
      serve(),
      serve('--model', modelDir),
      launch(),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    expect(await plain?.stop()).toBe(0);
    expect(await withModel?.stop()).toBe(0);
    await host?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('says which filters are dead instead of showing a bare 0.00', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    // block2_conv2 7 of the embedded model never activates (the CLI's grid names it too).
    await page.goto(`${plain.url}?backend=wasm&layer=block2_conv2&filters=6-7&o.steps=8`);
    await page.waitForSelector('#view[data-state="ready"]');
    await page.click('button.run');
    await page.waitForSelector('.tiles[data-done="true"]', { timeout: 60_000 });
    const captions = await page.locator('.optimize .tile').allTextContents();
    expect([captions[0].includes('dead'), captions[1].includes('dead (a=0)')]).toEqual([
      false,
      true,
    ]);
    expect(await page.textContent('.status')).toMatch(/1 dead \(activation 0 at every step\)/);
    await page.close();
  });

  it('names the --model of serve in the picker and fits the default filters to its layer', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors = watchErrors(page);
    await page.goto(`${withModel.url}?backend=wasm&layer=conv2&o.steps=4`);
    await page.waitForSelector('#view[data-state="ready"]');
    // The picker shows the served model (its folder's name), not the embedded one.
    const picked = await page.$eval('select[name="model"]', (s) => {
      const select = s as HTMLSelectElement;
      return { value: select.value, text: select.selectedOptions[0].textContent };
    });
    expect(picked).toEqual({ value: modelDir, text: 'tiny-rgb (--model)' });
    expect(await page.getAttribute('#view', 'data-model')).toBe(modelDir);

    // No `filters` in the URL: the default is every one of conv2's 10 channels, and it runs.
    expect(await page.inputValue('input[name="filters"]')).toBe('0-9');
    await page.click('button.run');
    await page.waitForSelector('.tiles[data-done="true"]', { timeout: 60_000 });
    expect(await page.locator('.optimize .tile').count()).toBe(10);
    expect(await page.locator('.error-panel').count()).toBe(0);
    expect(new URL(page.url()).searchParams.has('filters')).toBe(false);

    // A spec typed by hand stays as typed: out of range, it is an error and the status says so.
    await page.fill('input[name="filters"]', '0-15');
    await page.press('input[name="filters"]', 'Enter');
    await page.click('button.run');
    await page.waitForSelector('.error-panel');
    expect(await page.textContent('.error-panel')).toMatch(/channel 15 is out of range.*0-9/);
    expect(await page.textContent('.status')).not.toMatch(/ready/i);
    expect(await page.textContent('.status')).toMatch(/Not started/);
    await page.screenshot({ path: path.join(SHOTS, 'filters-out-of-range.png') });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('reads labels.json beside a model opened by URL and offers it RGB samples', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors = watchErrors(page);
    const url = `${host.url}tiny/model.json`;
    await page.goto(`${plain.url}?backend=wasm&view=maps&layer=conv1&model=url&url=${url}`);
    await page.waitForSelector('.tiles.maps[data-channels]');
    expect(await page.getAttribute('.tiles.maps', 'data-channels')).toBe('10');
    const top = await page.locator('.top5 li').allTextContents();
    expect(top).toHaveLength(3);
    for (const line of top) expect(TINY_LABELS.some((l) => line.startsWith(`${l} `))).toBe(true);
    // The samples offered are the RGB photos, and the first one reaches the model in colour.
    const offered = await page
      .locator('select[name="sample"] option[value^="/"]')
      .evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(offered.length).toBeGreaterThanOrEqual(3);
    expect(offered.every((u) => u.startsWith('/samples/photos/'))).toBe(true);
    expect(await isColour(page, '.input-image')).toBe(true);
    await page.screenshot({ path: path.join(SHOTS, 'maps-rgb-url-model.png') });

    // The gray embedded model gets gray samples only.
    await page.goto(`${plain.url}?backend=wasm&view=maps&layer=block1_conv1`);
    await page.waitForSelector('.tiles.maps[data-channels]');
    const gray = await page
      .locator('select[name="sample"] option[value^="/"]')
      .evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(gray.length).toBeGreaterThan(0);
    expect(gray.some((u) => u.startsWith('/samples/photos/'))).toBe(false);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('lets the last model choice win over a load still running', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors = watchErrors(page);
    const slow = `${host.url}slow/model.json`;
    await page.goto(`${plain.url}?backend=wasm&view=maps&model=url&url=${slow}`);
    // The slow model's shard is held by the host: its load cannot finish yet.
    await host.slowShardRequested;
    expect(await page.getAttribute('#view', 'data-state')).toBe('loading');
    await page.selectOption('select[name="model"]', 'embedded');
    await page.waitForSelector('#view[data-state="ready"][data-model="embedded"]');
    // Now let the first model arrive, and wait until no load is left running.
    host.release();
    // Cancelled (the worker aborts it) or ignored: either way it must not take over.
    expect(['aborted', 'sent']).toContain(await host.slowShardEnded);
    await page.waitForSelector('#view[data-pending-loads="0"]');
    await page.waitForSelector('.tiles.maps[data-channels]');
    expect(await page.getAttribute('#view', 'data-model')).toBe('embedded');
    expect(await page.textContent('#model-info')).toMatch(/^embedded · 28×28×1/);
    expect(await page.inputValue('select[name="model"]')).toBe('embedded');
    expect(new URL(page.url()).searchParams.get('model')).toBe('embedded');
    // The worker computes with the embedded model too: its layer's maps, not conv1's 10.
    const layer = await page.$eval('select[name="layer"]', (s) => {
      const select = s as HTMLSelectElement;
      return { name: select.value, label: select.selectedOptions[0].textContent! };
    });
    expect(layer.name).toMatch(/^block\d_/);
    const channels = /×(\d+)(?: ·|$)/.exec(layer.label)![1];
    expect(await page.getAttribute('.tiles.maps', 'data-channels')).toBe(channels);
    expect(channels).not.toBe('10');
    expect(await page.locator('.error-panel').count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('runs the WASM backend multi-threaded in the cross-origin isolated worker', async () => {
    const page = await browser.newPage();
    // Default: half the logical cores (1 on a 2-core machine).
    await page.goto(`${plain.url}?backend=wasm`);
    await page.waitForSelector('.badge[data-backend="wasm"]');
    const half = await page.evaluate(() =>
      Math.max(1, Math.floor(navigator.hardwareConcurrency / 2)),
    );
    expect(await page.textContent('.badge')).toBe(`wasm · ${half} thread${half === 1 ? '' : 's'}`);
    // Asked for 2, it runs 2 (tfjs alone caps the pool at half the cores).
    await page.goto(`${plain.url}?backend=wasm&threads=2`);
    await page.waitForSelector('.badge[data-backend="wasm"]');
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    expect(await page.textContent('.badge')).toBe('wasm · 2 threads');
    expect(await page.getAttribute('.badge', 'title')).toMatch(/threads support true, 2 XNNPACK/);
    await page.close();
  });
});
