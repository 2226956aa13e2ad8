/**
 * Keras models in the workbench, in Debian's Chromium: `convscope serve --model x.keras` serves
 * the archive and the page builds it with core's Keras code (the CLI's), reading its
 * `model.weights.h5` with h5wasm's browser build in the compute worker; a full-model `.h5` picked
 * with the file button opens the same way, with the labels.json picked beside it. Bad files
 * (not a zip, weights only) give the error panel, and serve refuses a weights-only `.h5`.
 */
import * as tf from '@tensorflow/tfjs';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { writeKerasH5 } from '../helpers/keras-h5.js';
import { HAVE_BROWSER, launch, serve, watchErrors, type Served } from './browser.js';

const FIXTURES = path.resolve('test/fixtures/keras');
const ARCHIVE = path.join(FIXTURES, 'residual.keras');
const H5 = path.join(FIXTURES, 'residual-keras2.h5');
const LABELS = ['circle', 'square', 'stripes', 'dots']; // test/fixtures/keras/labels.json
const LAYERS = ['stem_conv', 'res_conv_a', 'res_conv_b', 'res_add', 'pool'];

/** A Keras `save_weights`-style .h5 (no model_config) in `dir`. */
async function weightsOnlyH5(dir: string): Promise<string> {
  const model = tf.sequential({
    layers: [tf.layers.conv2d({ inputShape: [8, 8, 3], filters: 2, kernelSize: 3, name: 'c' })],
  });
  const file = path.join(dir, 'weights-only.h5');
  await writeKerasH5(model, file);
  model.dispose();
  return file;
}

const layerNames = (page: Page) =>
  page.$$eval('select[name="layer"] option', (o) => o.map((e) => (e as HTMLOptionElement).value));

describe.skipIf(!HAVE_BROWSER)('workbench with Keras models in Chromium', () => {
  let plain: Served;
  let withKeras: Served;
  let browser: Browser;
  let dir: string;
  let weightsOnly: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'convscope-keras-web-'));
    weightsOnly = await weightsOnlyH5(dir);
    [plain, withKeras, browser] = await Promise.all([serve(), serve('--model', ARCHIVE), launch()]);
  });
  afterAll(async () => {
    await browser?.close();
    expect(await plain?.stop()).toBe(0);
    expect(await withKeras?.stop()).toBe(0);
    await rm(dir, { recursive: true, force: true });
  });

  it('runs filters on a served .keras archive, its layers named as in Keras', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = watchErrors(page);
    await page.goto(`${withKeras.url}?backend=wasm&layer=res_conv_b&filters=0-2&o.steps=4`);
    await page.waitForSelector('#view[data-state="ready"]');
    expect(await page.getAttribute('#view', 'data-model')).toBe(ARCHIVE);
    expect(await page.textContent('#model-info')).toMatch(/16×16×3/);
    expect(await layerNames(page)).toEqual(expect.arrayContaining(LAYERS));
    await page.click('button.run');
    await page.waitForSelector('.tiles[data-done="true"]', { timeout: 90_000 });
    expect(await page.locator('.optimize .tile').count()).toBe(3);
    expect(await page.locator('.error-panel').count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('opens a model.save() .h5 picked with the file button, with its labels.json', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = watchErrors(page);
    await page.goto(`${plain.url}?backend=wasm&view=maps`);
    await page.waitForSelector('#view[data-state="ready"][data-model="embedded"]');
    await page.setInputFiles('input[name="model-files"]', [H5, path.join(FIXTURES, 'labels.json')]);
    await page.waitForSelector(
      '#view[data-state="ready"][data-model="dropped residual-keras2.h5"]',
    );
    expect(await page.textContent('#model-info')).toMatch(/16×16×3/);
    expect(await layerNames(page)).toEqual(expect.arrayContaining(LAYERS));
    // The maps view runs the model: channels of the chosen layer, and the top classes by name.
    await page.waitForSelector('.tiles.maps[data-channels]');
    expect(Number(await page.getAttribute('.tiles.maps', 'data-channels'))).toBeGreaterThan(0);
    const top = await page.locator('.top5 li').allTextContents();
    expect(top).toHaveLength(4);
    for (const line of top) expect(LABELS.some((l) => line.startsWith(`${l} `))).toBe(true);
    expect(await page.locator('.error-panel').count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows the error panel for a file that is not a .keras archive and a weights-only .h5', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = watchErrors(page);
    await page.goto(`${plain.url}?backend=wasm&view=maps`);
    await page.waitForSelector('#view[data-state="ready"][data-model="embedded"]');
    await page.setInputFiles('input[name="model-files"]', {
      name: 'broken.keras',
      mimeType: 'application/octet-stream',
      buffer: Buffer.from('<html>not found</html>'),
    });
    await page.waitForSelector('#view[data-state="error"]');
    expect(await page.textContent('.error-panel')).toMatch(
      /broken\.keras is not a \.keras archive \(not a zip file\)/,
    );
    await page.setInputFiles('input[name="model-files"]', weightsOnly);
    const panel = page.locator('.error-panel', { hasText: 'holds Keras weights only' });
    await panel.waitFor();
    expect(await page.getAttribute('#view', 'data-state')).toBe('error');
    expect(await panel.textContent()).toMatch(/weights-only\.h5.*model\.save\(/s);
    // The page still works: a good archive picked next opens.
    await page.setInputFiles('input[name="model-files"]', ARCHIVE);
    await page.waitForSelector('#view[data-state="ready"][data-model="dropped residual.keras"]');
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('convscope serve --model with Keras files', () => {
  // A refusal exits at once; the timeout only stops a server that wrongly starts.
  const serveOnce = (model: string) =>
    promisify(execFile)('node', [BIN, 'serve', '--port', '0', '--model', model], {
      timeout: 30_000,
    }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number | null; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
    );

  it('refuses a weights-only .h5 with a message that names the fix', async () => {
    const scratch = await mkdtemp(path.join(tmpdir(), 'convscope-keras-serve-'));
    try {
      const file = await weightsOnlyH5(scratch);
      const { code, stderr } = await serveOnce(file);
      expect(code).toBe(1);
      expect(stderr).toContain(`${file} holds Keras weights only (no model_config)`);
      expect(stderr).toMatch(/model\.save\(\)/);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });
});
