/**
 * The atlas in Debian's Chromium: the site opened from disk (file://, no server) is walked from
 * the index of layers to a layer and to one unit, whose optimized image, kernel and nine
 * patches (with their projections) load; then the same site under `convscope serve --atlas`
 * links that unit to the workbench's live view, which opens on its layer and filter. The
 * screenshots land in test-output/e2e/ (docs/images/atlas-*.png come from the full build).
 */
import { copyFile, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { HAVE_BROWSER, SHOTS, launch, serve, watchErrors } from './browser.js';

let dir: string;
let site: string;
let browser: Browser;

/** Widths of the images a selector matches, once each has loaded (0: failed to load). */
async function loadedWidths(page: Page, selector: string): Promise<number[]> {
  await page.waitForFunction(
    (s) => [...document.querySelectorAll<HTMLImageElement>(s)].every((i) => i.complete),
    selector,
  );
  return page.$$eval(selector, (images) => images.map((i) => (i as HTMLImageElement).naturalWidth));
}

describe.skipIf(!HAVE_BROWSER)('atlas site in Chromium', () => {
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'convscope-atlas-e2e-'));
    const images = path.join(dir, 'images');
    await mkdir(images);
    const samples = (await readdir('samples/fashion-mnist')).filter((f) => f.endsWith('.png'));
    for (const name of samples.slice(0, 12)) {
      await copyFile(path.join('samples/fashion-mnist', name), path.join(images, name));
    }
    site = path.join(dir, 'site');
    const built = await cli(
      'atlas',
      '--layers',
      'block1_conv2',
      '--images',
      images,
      '--steps',
      '8',
      '--workers',
      '1',
      '--engine',
      'tfjs',
      '--out',
      site,
    );
    expect(built.stderr).not.toMatch(/convscope: /);
    browser = await launch();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('opens from disk and walks the index to a unit with its image, kernel and nine patches', async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const errors = watchErrors(page);
    const failed: string[] = [];
    page.on('requestfailed', (request) => failed.push(request.url()));
    await page.goto(pathToFileURL(path.join(site, 'index.html')).href);
    await page.click('a.layer-title:has-text("block1_conv2")');
    await page.waitForSelector('h2:has-text("block1_conv2")');
    expect(await page.locator('.unit-tile').count()).toBe(16);
    expect((await loadedWidths(page, 'img.thumb')).every((w) => w === 28)).toBe(true);
    await page.click('a.unit-tile[href="#block1_conv2/5"]');
    await page.waitForSelector('h2:has-text("block1_conv2 #5")');
    expect(page.url()).toMatch(/#block1_conv2\/5$/);
    expect(await loadedWidths(page, 'img.big')).toEqual([28]);
    // 16 input channels: a 4x4 mosaic of 3x3 slices with 1 px gaps.
    expect(await loadedWidths(page, 'img.kernel')).toEqual([15]);
    const patches = await loadedWidths(page, 'img.patch-img:not(.deconv)');
    expect(patches).toHaveLength(9);
    expect(patches.every((w) => w > 0)).toBe(true);
    expect((await loadedWidths(page, 'img.deconv')).every((w) => w > 0)).toBe(true);
    // A deep link opens the unit directly; from disk there is no workbench to link to.
    await page.goto(pathToFileURL(path.join(site, 'index.html')).href + '#block1_conv2/7');
    await page.waitForSelector('h2:has-text("block1_conv2 #7")');
    expect(await page.locator('a.live-link').count()).toBe(0);
    await page.screenshot({ path: path.join(SHOTS, 'atlas-unit.png') });
    expect(errors).toEqual([]);
    expect(failed).toEqual([]);
    await page.close();
  }, 60_000);

  it('serve --atlas links a unit to its live view in the workbench', async () => {
    const served = await serve('--atlas', site);
    try {
      const page = await browser.newPage();
      const errors = watchErrors(page);
      await page.goto(`${served.url}atlas/#block1_conv2/3`);
      const link = page.locator('a.live-link');
      await link.waitFor();
      const href = await link.getAttribute('href');
      expect(href).toBe('/?view=filters&layer=block1_conv2&filters=3&model=embedded');
      expect(await loadedWidths(page, 'img.big')).toEqual([28]);
      await link.click();
      await page.waitForURL(/view=filters/);
      await page.waitForFunction(
        () =>
          document.querySelector<HTMLSelectElement>('select[name="layer"]')?.value ===
          'block1_conv2',
        undefined,
        { timeout: 30_000 },
      );
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      await served.stop();
    }
  }, 90_000);
});
