/**
 * `npm run bench:browser [-- --json]`: the workbench's speed in headless Chromium (Debian's),
 * measured through the page as a user runs it (`convscope serve`, the WASM backend): steps/s
 * of activation maximization on the embedded model (1 and 16 filters) and on VGG16 without
 * its top (random weights, 128 px, one filter of block5_conv3), each with the WASM threads
 * the page asks for (one per core) and with one thread, plus the webcam feature-maps rate.
 * Needs `npm run build` first.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { Browser } from 'playwright-core';
import { findZooRecord, buildZooArchitecture } from '../src/core/models/zoo.js';
import { initBackend } from '../src/node/backend.js';
import { saveModelDir } from '../src/node/cache/tfjs-model-dir.js';
import { launch, serve } from '../test/e2e/browser.js';

interface Row {
  case: string;
  value: number;
  unit: string;
  threads: number;
}

async function stepsPerSecond(
  browser: Browser,
  url: string,
): Promise<{ rate: number; threads: number }> {
  const page = await browser.newPage();
  try {
    await page.goto(url);
    await page.waitForSelector('#view[data-state="ready"]', { timeout: 300_000 });
    const threads = Number(
      /(\d+) XNNPACK threads/.exec((await page.getAttribute('.badge', 'title')) ?? '')?.[1] ?? 1,
    );
    await page.click('button.run');
    await page.waitForSelector('.tiles[data-done="true"]', { timeout: 600_000 });
    const status = (await page.textContent('.status')) ?? '';
    const match = /\(([\d.]+) steps\/s/.exec(status);
    if (!match) throw new Error(`no rate in: ${status}`);
    return { rate: Number(match[1]), threads };
  } finally {
    await page.close();
  }
}

const json = process.argv.includes('--json');
await initBackend('wasm');
const vggDir = await mkdtemp(path.join(tmpdir(), 'convscope-bench-vgg-'));
const record = findZooRecord('vgg16-notop')!;
const vgg = buildZooArchitecture(record);
await saveModelDir(vgg, vggDir, {
  meta: { preprocess: record.preprocess, name: 'vgg16-notop-random' },
});
vgg.dispose();
tf.disposeVariables();

const rows: Row[] = [];
const embedded = await serve();
const vggServer = await serve('--model', vggDir);
const browser = await launch();
try {
  const cases: [string, Awaited<ReturnType<typeof serve>>, string][] = [
    ['embedded-1-filter', embedded, 'layer=block3_conv2&filters=0&o.steps=200'],
    ['embedded-16-filters', embedded, 'layer=block2_conv2&filters=0-15&o.steps=200'],
    ['vgg16-block5_conv3-128', vggServer, 'layer=block5_conv3&filters=0&o.steps=8&o.size=128'],
  ];
  for (const [name, server, query] of cases) {
    for (const threads of [undefined, 1]) {
      const url = `${server.url}?backend=wasm&seed=0&${query}${threads ? `&threads=${threads}` : ''}`;
      const { rate, threads: used } = await stepsPerSecond(browser, url);
      rows.push({ case: name, value: rate, unit: 'steps/s', threads: used });
      if (!json)
        console.log(
          `${name.padEnd(26)} ${rate.toFixed(2).padStart(8)} steps/s  (${used} WASM thread${used === 1 ? '' : 's'}${threads ? ', asked for 1' : ''})`,
        );
    }
  }
} finally {
  await browser.close();
  await embedded.stop();
  await vggServer.stop();
  await rm(vggDir, { recursive: true, force: true });
}
if (json) console.log(JSON.stringify(rows));
