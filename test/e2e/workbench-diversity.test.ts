/**
 * Diversity in the workbench (issue 16): `o.diversity=3` draws three tiles per filter, pushed
 * apart by Lucid's diversity term, named and scored as the CLI's `--diversity 3` run of the same
 * seed names and scores them (the page on WASM, the CLI on tfjs-node: the same core `maximize`).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { HAVE_BROWSER, launch, runManifest, serve, watchErrors, type Served } from './browser.js';

interface Item {
  index: number;
  file: string;
  activation: { best: number };
}

describe.skipIf(!HAVE_BROWSER)('diversity in the workbench', () => {
  let server: Served;
  let browser: Browser;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'convscope-diversity-web-'));
    [server, browser] = await Promise.all([serve(), launch()]);
  });
  afterAll(async () => {
    await browser?.close();
    expect(await server?.stop()).toBe(0);
    await rm(dir, { recursive: true, force: true });
  });

  it('draws N different images per filter, as the CLI names and scores them', async () => {
    const args = { layer: 'block2_conv1', filters: '1-2', steps: 16, seed: 5 };
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = watchErrors(page);
    await page.goto(
      `${server.url}?backend=wasm&layer=${args.layer}&filters=${args.filters}&seed=${args.seed}` +
        `&o.steps=${args.steps}&o.diversity=3&o.diversityWeight=1`,
    );
    await page.waitForSelector('#view[data-state="ready"]');
    await page.click('button.run');
    await page.waitForSelector('.tiles[data-done="true"]', { timeout: 60_000 });
    const indices = await page.$$eval('.optimize .tile', (tiles) =>
      tiles.map((t) => Number((t as HTMLElement).dataset.index)),
    );
    expect(indices).toEqual([1, 1, 1, 2, 2, 2]);
    // The three images of a filter differ from each other.
    const pixels = await page.$$eval('.optimize .tile canvas', (canvases) =>
      canvases.map((c) => {
        const canvas = c as HTMLCanvasElement;
        const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        return Array.from(data.filter((_, i) => i % 4 === 0));
      }),
    );
    for (const unit of [0, 3]) {
      for (const [a, b] of [
        [0, 1],
        [0, 2],
        [1, 2],
      ]) {
        const diff = pixels[unit + a].reduce((s, v, p) => s + Math.abs(v - pixels[unit + b][p]), 0);
        expect(diff / pixels[unit].length).toBeGreaterThan(5); // mean |difference| in 8-bit levels
      }
    }
    const web = await runManifest<{ items: Item[] }>(page);

    const out = path.join(dir, 'cli');
    const run = await cli(
      'filters',
      '--layer',
      args.layer,
      '--filters',
      args.filters,
      '--steps',
      String(args.steps),
      '--seed',
      String(args.seed),
      '--diversity',
      '3',
      '--diversity-weight',
      '1',
      '--out',
      out,
      '--quiet',
    );
    expect(run.code, run.stderr).toBe(0);
    const local = JSON.parse(await readFile(path.join(out, 'manifest.json'), 'utf8')) as {
      items: Item[];
    };
    expect(web.items.map((i) => i.file)).toEqual(local.items.map((i) => i.file));
    // Each image's unit activation without the diversity term, on the tiles and in the manifest.
    const shown = await page.$$eval('.optimize .tile .value', (v) =>
      v.map((e) => Number((e as HTMLElement).dataset.value)),
    );
    web.items.forEach((item, i) => {
      expect(item.activation.best).toBe(Number(shown[i].toPrecision(6))); // 6 digits, as the CLI writes
      expect(item.activation.best).toBeCloseTo(local.items[i].activation.best, 3);
    });
    expect(errors).toEqual([]);
    await page.close();
  });
});
