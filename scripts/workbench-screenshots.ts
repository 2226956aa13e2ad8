/**
 * The README's workbench screenshots, made the way a user sees the app: `convscope serve`
 * plus Debian's Chromium. Filters (16 filters of block2_conv2 after 256 steps, one history
 * open), a typed objective with diversity, classes, feature maps of a sample, the inside view. Run: `npm run screenshots`
 * (after `npm run build`).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { launch, serve } from '../test/e2e/browser.js';
import { cli } from '../test/helpers/cli.js';

const OUT = path.resolve('docs/images');

/** A typed objective (two channels minus a little total variation), its history open. */
export async function shotObjective(page: Page, url: string): Promise<void> {
  const objective = encodeURIComponent('block2_conv2:3 + 0.5*block3_conv1:12 - 0.02*tv');
  await page.goto(`${url}?backend=wasm&layer=block2_conv2&objective=${objective}&o.steps=256`);
  await page.waitForSelector('#view[data-state="ready"]');
  await page.click('button.run');
  await page.waitForSelector('.tiles[data-done="true"]', { timeout: 120_000 });
  await page.click('.tile >> nth=0');
  await page.waitForSelector('.detail .downloads');
}
// A top-9 scan of the 1,000 sample images for the inside view.
const patches = await mkdtemp(path.join(tmpdir(), 'convscope-shots-'));
const scan = await cli(
  'patches',
  '--images',
  'samples/fashion-mnist',
  '--layer',
  'block1_conv2',
  '--filters',
  '0-15',
  '--out',
  patches,
  '--quiet',
);
if (scan.code !== 0) throw new Error(scan.stderr);
const server = await serve('--patches', patches);
const browser = await launch();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  const shot = (name: string) => page.screenshot({ path: path.join(OUT, name) });
  const ready = () => page.waitForSelector('#view[data-state="ready"]');

  await page.setViewportSize({ width: 1280, height: 1280 });
  await page.goto(`${server.url}?backend=wasm&layer=block2_conv2&filters=0-15&o.steps=256`);
  await ready();
  await page.click('button.run');
  await page.waitForSelector('.tiles[data-done="true"]', { timeout: 120_000 });
  await page.click('.tile[data-index="9"]');
  await page.$eval('.history-slider', (el) => {
    const slider = el as unknown as { value: string; max: string; dispatchEvent(e: unknown): void };
    slider.value = String(Math.round(Number(slider.max) * 0.3));
    slider.dispatchEvent(new Event('input'));
  });
  await shot('workbench-filters.png');
  await page.setViewportSize({ width: 1280, height: 860 });

  await shotObjective(page, server.url);
  await shot('workbench-objective.png');

  await page.goto(`${server.url}?backend=wasm&view=classes`);
  await ready();
  await page.click('button.run');
  await page.waitForSelector('.tiles[data-done="true"]', { timeout: 120_000 });
  await shot('workbench-classes.png');

  await page.goto(
    `${server.url}?backend=wasm&view=maps&layer=block1_conv2&image=/samples/inputs/ankle-boot.png&channel=5`,
  );
  await page.waitForSelector('.tiles.maps[data-channels]');
  await shot('workbench-maps.png');

  await page.goto(
    `${server.url}?backend=wasm&view=inside&layer=block1_conv2&channel=5&image=/samples/inputs/ankle-boot.png`,
  );
  await page.waitForSelector('.attributions [data-method="gradcam"]');
  await page.waitForSelector('.patches img');
  await page.waitForTimeout(500);
  await shot('workbench-inside.png');
} finally {
  await browser.close();
  await server.stop();
  await rm(patches, { recursive: true, force: true });
}
