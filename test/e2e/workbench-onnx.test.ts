/**
 * ONNX models in the workbench, in Debian's Chromium: `convscope serve --model model.onnx` serves
 * the file and the page imports it with core's importer (the CLI's), on TF.js, so no second
 * browser runtime is needed; a .onnx file picked with the file button opens the same way. The
 * layers carry PyTorch module names and filters run on them.
 */
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAVE_BROWSER, launch, serve, watchErrors, type Served } from './browser.js';

const MODEL = path.resolve('test/fixtures/onnx/resnet-basic/model.onnx');

describe.skipIf(!HAVE_BROWSER)('workbench with an ONNX model in Chromium', () => {
  let plain: Served;
  let withOnnx: Served;
  let browser: Browser;

  beforeAll(async () => {
    [plain, withOnnx, browser] = await Promise.all([serve(), serve('--model', MODEL), launch()]);
  });
  afterAll(async () => {
    await browser?.close();
    expect(await plain?.stop()).toBe(0);
    expect(await withOnnx?.stop()).toBe(0);
  });

  it('runs filters on a served .onnx model, its layers named by PyTorch module path', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = watchErrors(page);
    await page.goto(`${withOnnx.url}?backend=wasm&layer=layer2.0.relu_1&filters=0-2&o.steps=4`);
    await page.waitForSelector('#view[data-state="ready"]');
    expect(await page.getAttribute('#view', 'data-model')).toBe(MODEL);
    expect(await page.textContent('#model-info')).toMatch(/32×32×3/);
    const layers = await page.$$eval('select[name="layer"] option', (o) =>
      o.map((e) => (e as HTMLOptionElement).value),
    );
    expect(layers).toEqual(
      expect.arrayContaining([
        'conv1',
        'layer1.0.conv2',
        'layer2.0.downsample.0',
        'layer2.0.relu_1',
      ]),
    );
    // The picker says what `convscope layers` says of a convolution with a folded batch norm.
    expect(await page.textContent('select[name="layer"] option[value="conv1"]')).toMatch(
      / · \+ batch norm \(folded by the exporter\)$/,
    );
    await page.click('button.run');
    await page.waitForSelector('.tiles[data-done="true"]', { timeout: 90_000 });
    expect(await page.locator('.optimize .tile').count()).toBe(3);
    expect(await page.locator('.error-panel').count()).toBe(0);
    expect(errors).toEqual([]);
  });

  it('opens a .onnx file picked with the file button', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = watchErrors(page);
    await page.goto(`${plain.url}?backend=wasm&view=maps`);
    await page.waitForSelector('#view[data-state="ready"][data-model="embedded"]');
    await page.setInputFiles('input[name="model-files"]', MODEL);
    await page.waitForSelector('#view[data-state="ready"][data-model="dropped model.onnx"]');
    expect(await page.textContent('#model-info')).toMatch(/32×32×3/);
    await page.waitForSelector('.tiles.maps[data-channels]');
    expect(await page.locator('.error-panel').count()).toBe(0);
    expect(errors).toEqual([]);
  });
});
