/**
 * The workbench in Debian's Chromium against `convscope serve`: filters take shape live and
 * their history can be scrubbed back to step 0, classes carry their names, feature maps show
 * every channel of a layer and follow a (fake) webcam, and a broken model gives an error
 * panel. Screenshots land in test-output/e2e/ (the README's come from there).
 */
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { unzipSync } from 'fflate';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTRIBUTION_RECORDS } from '../../src/core/methods/attribution/registry.js';
import { formatValue } from '../../web/src/draw/dom.js';
import { cli } from '../helpers/cli.js';
import { expectStatsOfPngs } from './run-stats.js';
import {
  HAVE_BROWSER,
  SHOTS,
  downloaded,
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

/** A short hash of a canvas's pixels (compare frames without shipping them out). */
function canvasHash(page: Page, selector: string): Promise<string> {
  return page.$eval(selector, (canvas) => {
    const c = canvas as HTMLCanvasElement;
    const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let hash = 2166136261;
    for (const byte of data) hash = Math.imul(hash ^ byte, 16777619);
    return `${c.width}x${c.height}:${(hash >>> 0).toString(16)}`;
  });
}

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

/**
 * The inside view's layout at 1280 px: no horizontal scroll; the picked images' patches in a
 * 3-column grid with the picker below it, not in it; kernels numbered and the unit's outlined;
 * the layer menu's text not cut.
 */
async function expectInsideLayout(page: Page, unit: number): Promise<void> {
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);
  const boxes = await page
    .locator('.patches .tile')
    .evaluateAll((tiles) =>
      tiles
        .map((t) => t.getBoundingClientRect())
        .map((r) => ({ x: r.x, y: r.y, bottom: r.bottom })),
    );
  expect(boxes).toHaveLength(9);
  expect(new Set(boxes.map((b) => Math.round(b.x))).size).toBe(3);
  expect(new Set(boxes.map((b) => Math.round(b.y))).size).toBe(3);
  expect(await page.locator('.patches .scan-zone, .patches input').count()).toBe(0);
  const zone = (await page.locator('.scan-zone').boundingBox())!;
  expect(zone.y).toBeGreaterThanOrEqual(Math.max(...boxes.map((b) => b.bottom)));
  // Kernels carry their filter number; the selected unit's are outlined, and only those.
  const kernels = await page
    .locator('.weights .tile')
    .evaluateAll((tiles) =>
      tiles.map((t) => [
        t.getAttribute('data-index'),
        t.querySelector('figcaption')?.textContent,
        t.classList.contains('selected'),
      ]),
    );
  expect(kernels.length).toBeGreaterThan(unit);
  for (const [index, caption, selected] of kernels) {
    expect(caption).toBe(index);
    expect(selected).toBe(index === String(unit));
  }
  // The layer menu's text fits its box (measured in the select's own font, less the arrow).
  const fit = await page.$eval('select[name="layer"]', (s) => {
    const select = s as HTMLSelectElement;
    const g = document.createElement('canvas').getContext('2d')!;
    g.font = getComputedStyle(select).font;
    const text = g.measureText(select.selectedOptions[0].textContent!).width;
    return { text, room: select.clientWidth - 28 };
  });
  expect(fit.text).toBeLessThanOrEqual(fit.room);
}

describe.skipIf(!HAVE_BROWSER)('workbench in Chromium', () => {
  let server: Served;
  let browser: Browser;
  let patchesDir: string;

  beforeAll(async () => {
    // A small top-k scan for the inside view (5 sample images, 4 filters).
    patchesDir = await mkdtemp(path.join(tmpdir(), 'convscope-e2e-'));
    const scan = await cli(
      'patches',
      '--images',
      'samples/inputs',
      '--layer',
      'block2_conv2',
      '--filters',
      '0-3',
      '--top',
      '4',
      '--out',
      patchesDir,
      '--quiet',
    );
    expect(scan.stderr).toBe('');
    server = await serve('--patches', patchesDir);
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    expect(await server?.stop()).toBe(0);
    await rm(patchesDir, { recursive: true, force: true });
  });

  /** Clicks a download button of the detail view and returns the file's bytes. */
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

    // Downloads: the history as a GIF, the run as a zip with the CLI's manifest.
    const gif = await downloaded(page, 'GIF');
    expect(gif.subarray(0, 6).toString('latin1')).toBe('GIF89a');
    const zip = unzipSync(new Uint8Array(await downloaded(page, 'Whole run (zip)')));
    const manifest = JSON.parse(new TextDecoder().decode(zip['manifest.json']));
    expect(manifest).toMatchObject({
      model: 'embedded',
      layer: 'block2_conv2',
      preset: 'lucid',
      steps: 20,
    });
    expect(manifest.items.map((i: { index: number }) => i.index)).toEqual([0, 1, 2, 3]);
    await expectStatsOfPngs(manifest, zip);
    // The detail view shows item 2's statistics.
    const shown = await page.$eval('.detail-stats', (el) => ({ ...(el as HTMLElement).dataset }));
    expect(Number(shown.saturated)).toBe(manifest.items[2].stats.saturated);
    expect(Number(shown.highFrequency)).toBe(manifest.items[2].stats.highFrequency);
    expect(await page.textContent('.detail-stats')).toMatch(
      /^best image: saturated \d+\.\d% · high-frequency \d+\.\d% · objective /,
    );
    for (const item of manifest.items) {
      expect(item.history[0].step).toBe(0);
      expect(item.history.at(-1).step).toBe(20);
      for (const entry of [item, ...item.history]) {
        expect(zip[entry.file].subarray(1, 4)).toEqual(new Uint8Array([0x50, 0x4e, 0x47]));
      }
    }
    // The URL holds the view (reload gives the same form).
    expect(new URL(page.url()).searchParams.get('filters')).toBe('0-3');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('pauses, resumes and stops a run', async () => {
    const page = await browser.newPage();
    const errors = watchErrors(page);
    await page.goto(`${server.url}?backend=wasm&layer=block1_conv2&filters=0-1&o.steps=5000`);
    await page.waitForSelector('#view[data-state="ready"]');
    await page.click('button.run');
    const step = async () => Number(await page.getAttribute('.optimize .tiles', 'data-step'));
    await page.waitForFunction(
      () => Number(document.querySelector('.optimize .tiles')?.getAttribute('data-step')) >= 10,
    );
    await page.click('button.pause');
    expect(await page.textContent('button.pause')).toBe('Resume');
    await page.waitForTimeout(500);
    const paused = await step();
    await page.waitForTimeout(1500);
    expect(await step()).toBe(paused);
    await page.click('button.pause');
    await page.waitForFunction(
      (s) => Number(document.querySelector('.optimize .tiles')?.getAttribute('data-step')) > s,
      paused,
    );
    await page.click('button.stop');
    await page.waitForSelector('.tiles[data-done="true"]');
    const stopped = Number(/Stopped at step (\d+)/.exec((await page.textContent('.status'))!)?.[1]);
    expect(stopped).toBeGreaterThan(paused);
    expect(stopped).toBeLessThan(5000);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('loads a model from picked files (model.json + shards + labels)', async () => {
    const page = await browser.newPage();
    const errors = watchErrors(page);
    await page.goto(
      `${server.url}?backend=wasm&view=maps&layer=block1_conv1&image=/samples/inputs/dress.png`,
    );
    await page.waitForSelector('.tiles.maps[data-channels]');
    await page.setInputFiles(
      'input[name="model-files"]',
      ['model.json', 'weights.bin', 'labels.json', 'mean.png'].map((f) =>
        path.join('models/embedded', f),
      ),
    );
    await page.waitForFunction(() =>
      document.getElementById('model-info')?.textContent?.startsWith('dropped model.json'),
    );
    await page.waitForSelector('.tiles.maps[data-channels]');
    expect(await page.textContent('.top5 li')).toMatch(/^Dress /);
    // Shards missing: the error names the shard.
    await page.setInputFiles('input[name="model-files"]', ['models/embedded/model.json']);
    await page.waitForSelector('.error-panel');
    expect(await page.textContent('.error-panel')).toMatch(
      /weights shard 'weights.bin' .* was not dropped/,
    );
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows weights, attributions and served top-k patches on the inside view', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const errors = watchErrors(page);
    await page.goto(
      `${server.url}?backend=wasm&view=inside&layer=block2_conv2&channel=1&image=/samples/inputs/ankle-boot.png`,
    );
    await page.waitForSelector('.attributions [data-method="guided-gradcam"]');
    const methods = await page
      .locator('.attributions [data-method]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-method')));
    // Every method of core's registry cheap enough for a click (all but SmoothGrad), in its order.
    expect(methods).toEqual(ATTRIBUTION_RECORDS.filter((r) => r.interactive).map((r) => r.name));
    expect(methods).toEqual(expect.arrayContaining(['deconvnet', 'gradcam', 'guided-gradcam']));
    expect(await page.locator('.weights .tile').count()).toBe(32);
    await page.waitForSelector('.patches img');
    expect(await page.locator('.patches .tile').count()).toBe(4);
    await page.waitForFunction(() =>
      [...document.querySelectorAll<HTMLImageElement>('.patches img')].every(
        (i) => i.complete && i.naturalWidth > 0,
      ),
    );
    await page.screenshot({ path: path.join(SHOTS, 'inside.png') });

    // No served scan of block1_conv2: pick 12 images and the page finds the unit's top 9; the
    // activations equal the CLI's scan of the same files.
    const dir = path.join(patchesDir, 'pick');
    await mkdir(dir);
    const files = (await readdir('samples/fashion-mnist'))
      .filter((f) => f.endsWith('.png'))
      .slice(0, 12);
    for (const f of files) await copyFile(path.join('samples/fashion-mnist', f), path.join(dir, f));
    const reference = await cli(
      'patches',
      '--images',
      dir,
      '--layer',
      'block1_conv2',
      '--filters',
      '3',
      '--out',
      path.join(patchesDir, 'ref'),
      '--quiet',
      '--json',
    );
    const expected = (
      JSON.parse(reference.stdout) as { filters: { top: { activation: number }[] }[] }
    ).filters[0].top.map((t) => t.activation);
    await page.selectOption('select[name="layer"]', 'block1_conv2');
    await page.fill('input[name="channel"]', '3');
    await page.press('input[name="channel"]', 'Enter');
    await page.setInputFiles(
      'input[name="patch-images"]',
      files.map((f) => path.join(dir, f)),
    );
    await page.waitForSelector('.patches canvas.patch');
    expect(await page.textContent('.patches-panel .note')).toMatch(
      /^Top 9 of 12 picked images for block1_conv2 channel 3/,
    );
    const shown = await page.locator('.patches figcaption').allTextContents();
    expect(shown).toEqual(expected.map((v) => formatValue(v)));
    await expectInsideLayout(page, 3);
    await page.screenshot({ path: path.join(SHOTS, 'inside-picked.png'), fullPage: true });

    // Clicking a kernel picks (and outlines) the channel it makes; a class target disables the
    // Channel field.
    await page.click('.weights .tile[data-index="5"]');
    expect(await page.inputValue('input[name="channel"]')).toBe('5');
    await page.waitForSelector('.patches-panel .note:text-matches("channel 5:")');
    await expectInsideLayout(page, 5);
    await page.selectOption('select[name="target"]', '8');
    expect(await page.isDisabled('input[name="channel"]')).toBe(true);
    await page.selectOption('select[name="target"]', 'unit');
    expect(await page.isDisabled('input[name="channel"]')).toBe(false);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('keeps the inside view within a 1280 px window before any image is picked', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = watchErrors(page);
    await page.goto(`${server.url}?backend=wasm&view=inside&layer=block1_conv2&channel=2`);
    await page.waitForSelector('.scan-zone input[name="patch-images"]');
    await page.waitForSelector('.weights .tile');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
      1280,
    );
    expect(await page.isVisible('.scan-zone')).toBe(true);
    expect(await page.locator('.weights .tile.selected').getAttribute('data-index')).toBe('2');
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
