/**
 * A typed objective in the workbench (issue 18): the objective field takes the CLI's
 * `--objective` language; the page optimizes that one objective and names, specs and scores it
 * as `convscope filters --objective` does for the same seed (page on WASM, CLI on tfjs-node:
 * the same core `maximize`). A malformed expression gets the error panel with its column.
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
  label?: string;
  spec: unknown;
  activation: { best: number };
}

describe.skipIf(!HAVE_BROWSER)('a typed objective in the workbench', () => {
  let server: Served;
  let browser: Browser;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'convscope-objective-web-'));
    [server, browser] = await Promise.all([serve(), launch()]);
  });
  afterAll(async () => {
    await browser?.close();
    expect(await server?.stop()).toBe(0);
    await rm(dir, { recursive: true, force: true });
  });

  it('optimizes it as the CLI does, one tile captioned by its expression', async () => {
    const objective = 'block2_conv1:3 + 0.5*block2_conv2:7 - 0.01*tv';
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = watchErrors(page);
    await page.goto(
      `${server.url}?backend=wasm&seed=5&o.steps=16&objective=${encodeURIComponent(objective)}`,
    );
    await page.waitForSelector('#view[data-state="ready"]');
    expect(await page.inputValue('input[name="objective"]')).toBe(objective);
    await page.click('button.run');
    await page.waitForSelector('.tiles[data-done="true"]', { timeout: 60_000 });
    const captions = await page.$$eval('.optimize .tile .name', (n) => n.map((e) => e.textContent));
    expect(captions).toEqual([objective]);
    const web = await runManifest<{ items: Item[] }>(page);

    const out = path.join(dir, 'cli');
    const run = await cli(
      'filters',
      '--objective',
      objective,
      '--steps',
      '16',
      '--seed',
      '5',
      '--out',
      out,
      '--quiet',
    );
    expect(run.code, run.stderr).toBe(0);
    const local = JSON.parse(await readFile(path.join(out, 'manifest.json'), 'utf8')) as {
      items: Item[];
    };
    expect(web.items.map((i) => [i.file, i.label, i.spec])).toEqual(
      local.items.map((i) => [i.file, i.label, i.spec]),
    );
    expect(web.items[0].activation.best).toBeCloseTo(local.items[0].activation.best, 3);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows what is wrong with a malformed expression, and where', async () => {
    const page = await browser.newPage();
    await page.goto(
      `${server.url}?backend=wasm&objective=${encodeURIComponent('block2_conv1:3 +')}`,
    );
    await page.waitForSelector('#view[data-state="ready"]');
    await page.click('button.run');
    await page.waitForSelector('.error-panel');
    expect(await page.textContent('.error-panel')).toMatch(
      /cannot read the objective at column 17 \(the end\): expected a unit/,
    );
    expect(await page.$$('.optimize .tile')).toHaveLength(0);
    await page.close();
  });
});
