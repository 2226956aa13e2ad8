/**
 * The patch scan on a small folder against a brute-force search, resuming after an interrupted
 * scan, reusing a saved index, skipping an undecodable file, and receptive-field crops.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sequentialModel } from '../../test/helpers/fixture-models.js';
import { randomArray } from '../../test/helpers/random.js';
import { VisModel } from '../core/models/vis-model.js';
import { initBackend } from './backend.js';
import { expandImagePaths, loadImage } from './images.js';
import { unclampedBox } from '../core/models/receptive-field.js';
import { renderPatches } from './patches-render.js';
import { scanPatches } from './patches-scan.js';

let dir: string;
let files: string[];
let vis: VisModel;

beforeAll(async () => {
  await initBackend('wasm');
  vis = new VisModel(sequentialModel(5));
  dir = await mkdtemp(path.join(tmpdir(), 'convscope-patches-'));
  await mkdir(path.join(dir, 'images'));
  for (let i = 0; i < 9; i++) {
    // Quantized pixels: repeated values make ties between positions likely.
    const pixels = Buffer.from(randomArray(12 * 12 * 3, 70 + i).map((v) => (v > 0.3 ? 255 : 0)));
    await sharp(pixels, { raw: { width: 12, height: 12, channels: 3 } })
      .png()
      .toFile(path.join(dir, 'images', `img${i}.png`));
  }
  await writeFile(path.join(dir, 'images', 'broken.png'), 'not a png');
  files = await expandImagePaths([path.join(dir, 'images')]);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function bruteForce(layer: string, k: number) {
  const good: { i: number; pixels: Float32Array }[] = [];
  for (const [i, file] of files.entries()) {
    const pixels = await loadImage(file, vis.input).catch(() => null);
    if (pixels) good.push({ i, pixels });
  }
  const maps = vis.activations(
    tf.stack(good.map((g) => tf.tensor3d(g.pixels, [12, 12, 3]))) as tf.Tensor4D,
    [layer],
  )[layer];
  const values = maps.arraySync() as number[][][][];
  const channels = values[0][0][0].length;
  return Array.from({ length: channels }, (_, c) => {
    const all: { value: number; image: number; y: number; x: number }[] = [];
    for (const [j, g] of good.entries()) {
      let best = { value: -Infinity, image: g.i, y: 0, x: 0 };
      values[j].forEach((row, y) =>
        row.forEach((px, x) => {
          if (px[c] > best.value) best = { value: px[c], image: g.i, y, x };
        }),
      );
      all.push(best);
    }
    return all.sort((a, b) => b.value - a.value || a.image - b.image).slice(0, k);
  });
}

const rounded = (lists: { value: number }[][]) =>
  lists.map((l) => l.map((e) => ({ ...e, value: Math.round(e.value * 1e4) / 1e4 })));

describe('patch scan', () => {
  it('equals a brute-force search and lists the undecodable file', async () => {
    const { index } = await scanPatches(vis, files, ['conv_a', 'conv_b'], { k: 3, batch: 4 });
    expect(rounded(index.layers.conv_a.top)).toEqual(rounded(await bruteForce('conv_a', 3)));
    expect(rounded(index.layers.conv_b.top)).toEqual(rounded(await bruteForce('conv_b', 3)));
    expect(index.skipped.map((s) => path.basename(s.file))).toEqual(['broken.png']);
    expect(index.skipped[0].error).toMatch(/cannot decode/);
  });

  it('resumes an interrupted scan and reuses a saved one', async () => {
    const indexFile = path.join(dir, 'out', 'index.json');
    const interrupt = (done: number) => {
      if (done >= 4) throw new Error('interrupted');
    };
    await expect(
      scanPatches(vis, files, ['conv_b'], {
        k: 3,
        batch: 2,
        indexFile,
        saveEvery: 0,
        onProgress: interrupt,
      }),
    ).rejects.toThrow('interrupted');
    const resumed = await scanPatches(vis, files, ['conv_b'], { k: 3, batch: 2, indexFile });
    expect(resumed.scannedNow).toBe(files.length - 4);
    expect(rounded(resumed.index.layers.conv_b.top)).toEqual(
      rounded(await bruteForce('conv_b', 3)),
    );
    const again = await scanPatches(vis, files, ['conv_b'], { k: 2, indexFile });
    expect(again.scannedNow).toBe(0);
    const more = await scanPatches(vis, files, ['conv_b'], { k: 4, indexFile });
    // broken.png is skipped again, and counted apart from the images scanned.
    expect(more.scannedNow).toBe(files.length - 1);
    expect(more.skippedNow).toBe(1);
  });

  it('crops the receptive field: the 3x3 window around the pixel for a 3x3 same conv, clipped', async () => {
    const field = vis.layer('conv_a').receptiveField!;
    expect(unclampedBox(field, 5, 7)).toEqual([6, 4, 9, 7]);
    const { index } = await scanPatches(vis, files, ['conv_a'], { k: 2 });
    const out = path.join(dir, 'render');
    const { filters, grid } = await renderPatches(vis, index, 'conv_a', {
      channels: [0, 2],
      k: 2,
      outDir: out,
      deconv: true,
    });
    for (const { top } of filters) {
      for (const item of top) {
        const [x0, y0, x1, y1] = item.box;
        expect([x0, y0, x1, y1]).toEqual([
          Math.max(0, item.x - 1),
          Math.max(0, item.y - 1),
          Math.min(12, item.x + 2),
          Math.min(12, item.y + 2),
        ]);
        // The patch is the 3x3 window of the image as the model saw it (gray outside).
        const pixels = await loadImage(item.image, vis.input);
        const patch = await sharp(item.file).raw().toBuffer({ resolveWithObject: true });
        expect([patch.info.width, patch.info.height]).toEqual([3, 3]);
        const y = item.y;
        const x = item.x;
        const expected = pixels[(y * 12 + x) * 3];
        expect(patch.data[(1 * 3 + 1) * patch.info.channels]).toBe(Math.round(expected * 255));
        const meta = await sharp(item.deconvFile!).metadata();
        expect([meta.width, meta.height]).toEqual([3, 3]);
      }
    }
    expect((await sharp(grid).metadata()).width).toBeGreaterThan(4 * 64);
  });
});
