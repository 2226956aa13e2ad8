import sharp from 'sharp';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rgbaFromFloats } from '../core/image/rgba.js';
import { encodePng, renderGridPng, writeGridPng } from './grid-png.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'convscope-grid-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function pixels(png: Buffer) {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  const at = (x: number, y: number) =>
    Array.from(
      data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3),
    );
  return { info, at, data };
}

describe('grid PNG', () => {
  it('places upscaled tiles exactly, with the gap in the background color', async () => {
    // Two 2x1 gray tiles: [0, 1] and [0.5, 0.2].
    const a = rgbaFromFloats([0, 1], 2, 1, 1);
    const b = rgbaFromFloats([0.5, 0.2], 2, 1, 1);
    const png = await renderGridPng([{ image: a }, { image: b }], {
      columns: 2,
      scale: 2,
      gap: 1,
      background: '#ff0000',
    });
    const { info, at } = await pixels(png);
    expect([info.width, info.height]).toEqual([1 + 4 + 1 + 4 + 1, 1 + 2 + 1]);
    const red = [255, 0, 0];
    const expected = [
      [red, red, red, red, red, red, red, red, red, red, red],
      [
        red,
        [0, 0, 0],
        [0, 0, 0],
        [255, 255, 255],
        [255, 255, 255],
        red,
        [128, 128, 128],
        [128, 128, 128],
        [51, 51, 51],
        [51, 51, 51],
        red,
      ],
    ];
    for (let y = 0; y < 2; y++)
      for (let x = 0; x < 11; x++) expect(at(x, y)).toEqual(expected[y][x]);
    expect(at(3, 2)).toEqual([255, 255, 255]);
    expect(at(3, 3)).toEqual(red);
  });

  it('upscales 28 px tiles to a legible size and draws a label under each tile', async () => {
    const tile = rgbaFromFloats(new Float32Array(28 * 28).fill(1), 28, 28, 1);
    const png = await renderGridPng([{ image: tile, label: '12' }], {
      gap: 4,
      background: '#000000',
    });
    const { info, at } = await pixels(png);
    expect(info.width).toBeGreaterThanOrEqual(64);
    // Tile at 3x: 84 px square, then a 16 px caption band with some non-background pixels.
    expect(info.width).toBe(84 + 8);
    expect(info.height).toBe(84 + 16 + 8);
    expect(at(4, 4)).toEqual([255, 255, 255]);
    let ink = 0;
    for (let y = 4 + 84; y < 4 + 84 + 16; y++)
      for (let x = 0; x < info.width; x++) if (at(x, y)[0] > 60) ink++;
    expect(ink).toBeGreaterThan(5);
  });

  it('labels rows on the left and writes atomically into new directories', async () => {
    const tile = rgbaFromFloats(new Float32Array(4).fill(0), 2, 2, 1);
    const file = path.join(dir, 'deep', 'er', 'rows.png');
    await writeGridPng(file, [{ image: tile }, { image: tile }, { image: tile }, { image: tile }], {
      rowLabels: ['channel 0', 'channel 1'],
      title: 'a title',
    });
    const { info, at } = await pixels(await sharp(file).png().toBuffer());
    expect(info.height).toBe(24 + 2 * 64 + 3 * 4);
    expect(info.width).toBeGreaterThan(2 * 64 + 3 * 4 + 40);
    expect(at(info.width - 10, 24 + 10)).toEqual([0, 0, 0]);
    expect(await readdir(path.dirname(file))).toEqual(['rows.png']);
  });

  it('encodes one image as PNG, upscaled', async () => {
    const png = await encodePng(rgbaFromFloats([1, 0, 0, 0, 0, 1], 2, 1, 3), 3);
    const { info, at } = await pixels(png);
    expect([info.width, info.height]).toEqual([6, 3]);
    expect(at(2, 2)).toEqual([255, 0, 0]);
    expect(at(3, 0)).toEqual([0, 0, 255]);
  });
});
