/**
 * The workbench in Debian's Chromium against `convscope serve`: filters take shape live and
 * their history can be scrubbed back to step 0, classes carry their names, feature maps show
 * every channel of a layer and follow a (fake) webcam, and a broken model gives an error
 * panel. Screenshots land in test-output/e2e/ (the README's come from there).
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HAVE_BROWSER,
  SHOTS,
  canvasHash,
  launch,
  serve,
  watchErrors,
  type Served,
} from './browser.js';

const embeddedLayers = async () => {
  const json = JSON.parse(await readFile('models/embedded/model.json', 'utf8'));
  return json.modelTopology.config.layers as {
    class_name: string;
    config: { name: string; filters?: number };
  }[];
};

/** Records, for every tile canvas, a pixel hash per step as frames arrive. */
async function recordFrames(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { frames_: Record<string, Record<string, string>> };
    w.frames_ = {};
    const hash = (c: HTMLCanvasElement) => {
      const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let h = 2166136261;
      for (const byte of data) h = Math.imul(h ^ byte, 16777619);
      return `${c.width}x${c.height}:${(h >>> 0).toString(16)}`;
    };
    new MutationObserver((records) => {
      for (const r of records) {
        const canvas = r.target as HTMLCanvasElement;
        const tile = canvas.closest('.tile') as HTMLElement | null;
        if (!tile || !canvas.dataset.step) continue;
        (w.frames_[tile.dataset.index!] ??= {})[canvas.dataset.step] = hash(canvas);
      }
    }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['data-step'] });
  });
}

describe.skipIf(!HAVE_BROWSER)('workbench in Chromium', () => {
  let server: Served;
  let browser: Browser;

  beforeAll(async () => {
    server = await serve();
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    expect(await server?.stop()).toBe(0);
  });

  it('runs 20 steps of 4 filters live and scrubs a filter back to step 0', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = watchErrors(page);
    await page.goto(`${server.url}?backend=wasm&layer=block2_conv2&filters=0-3&o.steps=20`);
    await page.waitForSelector('.badge[data-backend="wasm"]');
    await page.waitForSelector('#view[data-state="ready"]');
    await recordFrames(page);
    await page.click('button.run');
    await page.waitForSelector('.tiles[data-done="true"]', { timeout: 60_000 });
    expect(await page.locator('.optimize .tile').count()).toBe(4);
    const frames = (await page.evaluate(
      () => (window as unknown as { frames_: Record<string, Record<string, string>> }).frames_,
    )) as Record<string, Record<string, string>>;
    for (const k of ['0', '1', '2', '3']) {
      const steps = Object.keys(frames[k]).map(Number);
      expect(steps).toContain(0);
      expect(steps).toContain(20);
      expect(frames[k]['20']).not.toBe(frames[k]['0']);
    }
    expect(await page.textContent('.status')).toMatch(/Done at step 20/);
    await page.screenshot({ path: path.join(SHOTS, 'filters-run.png') });

    // The history of filter 2: slider to the first frame shows the step-0 image.
    await page.click('.tile[data-index="2"]');
    await page.waitForSelector('.detail .history-slider');
    const last = await canvasHash(page, '.detail-image');
    expect(last).toBe(frames['2']['20']);
    await page.$eval('.history-slider', (el) => {
      const slider = el as HTMLInputElement;
      slider.value = '0';
      slider.dispatchEvent(new Event('input'));
    });
    expect(await page.getAttribute('.detail-image', 'data-step')).toBe('0');
    expect(await canvasHash(page, '.detail-image')).toBe(frames['2']['0']);
    expect(await page.textContent('.detail-caption')).toMatch(/^step 0 · activation/);
    await page.screenshot({ path: path.join(SHOTS, 'filters-history.png') });
    // The URL holds the view (reload gives the same form).
    expect(new URL(page.url()).searchParams.get('filters')).toBe('0-3');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows one tile per class, named, on the classes view', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors = watchErrors(page);
    await page.goto(`${server.url}?backend=wasm&view=classes&classes=1,8&o.steps=8`);
    await page.waitForSelector('#view[data-state="ready"]');
    await page.click('button.run');
    await page.waitForSelector('.tiles[data-done="true"]', { timeout: 60_000 });
    const names = await page.locator('.tile .name').allTextContents();
    expect(names).toEqual(['Trouser', 'Bag']);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows every channel of a layer for a sample image', async () => {
    const layers = await embeddedLayers();
    const conv = layers.find((l) => l.config.name === 'block1_conv2')!;
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = watchErrors(page);
    await page.goto(
      `${server.url}?backend=wasm&view=maps&layer=block1_conv2&image=/samples/inputs/bag.png`,
    );
    await page.waitForSelector('.tiles.maps[data-channels]');
    expect(Number(await page.getAttribute('.tiles.maps', 'data-channels'))).toBe(
      conv.config.filters,
    );
    expect(await page.locator('.tiles.maps .tile').count()).toBe(conv.config.filters);
    expect(await page.locator('.top5 li').count()).toBe(5);
    expect(await page.textContent('.top5 li')).toMatch(/^Bag /);
    await page.screenshot({ path: path.join(SHOTS, 'maps-sample.png') });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('follows the (fake) webcam and reports its frame rate', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = watchErrors(page);
    await page.goto(`${server.url}?backend=wasm&view=maps&layer=block1_conv1`);
    await page.waitForSelector('.tiles.maps[data-channels]');
    await page.click('button.webcam');
    const framesAt = async () => Number(await page.getAttribute('.tiles.maps', 'data-frames'));
    const start = await framesAt();
    await page.waitForFunction(
      (n) => Number(document.querySelector('.tiles.maps')!.getAttribute('data-frames')) > n + 3,
      start,
    );
    const first = await canvasHash(page, '.input-image');
    const firstMap = await canvasHash(page, '.tiles.maps .tile[data-index="0"] canvas');
    await page.waitForFunction(
      (n) => Number(document.querySelector('.tiles.maps')!.getAttribute('data-frames')) > n + 30,
      start,
    );
    expect(await canvasHash(page, '.input-image')).not.toBe(first);
    expect(await canvasHash(page, '.tiles.maps .tile[data-index="0"] canvas')).not.toBe(firstMap);
    const fps = Number(await page.getAttribute('.fps', 'data-fps'));
    expect(fps).toBeGreaterThan(0);
    // Measured, not asserted (timing is a benchmark's job): kept for BENCHMARKS.md.
    await writeFile(
      path.join(SHOTS, 'webcam-fps.json'),
      JSON.stringify({ model: 'embedded', layer: 'block1_conv1', fps }),
    );
    await page.screenshot({ path: path.join(SHOTS, 'maps-webcam.png') });
    await page.click('button.webcam');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows an error panel for a model URL that does not exist or is not a model', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 600 } });
    await page.goto(`${server.url}?backend=wasm&model=url&url=/models/nope/model.json`);
    await page.waitForSelector('.error-panel');
    expect(await page.textContent('.error-panel')).toMatch(
      /cannot download .*\/models\/nope\/model\.json: HTTP 404/,
    );
    expect(await page.getAttribute('#view', 'data-state')).toBe('error');
    await page.screenshot({ path: path.join(SHOTS, 'error-panel.png') });
    await page.goto(`${server.url}?backend=wasm&model=url&url=/api/samples`);
    await page.waitForSelector('.error-panel');
    expect(await page.textContent('.error-panel')).toMatch(/not a TF\.js model\.json/);
    await page.close();
  });
});
