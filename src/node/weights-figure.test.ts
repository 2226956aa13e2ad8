import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { sequentialModel } from '../../test/helpers/fixture-models.js';
import { diverging, gray } from '../core/image/colormap.js';
import { solidRgba } from '../core/image/rgba.js';
import { filterWeights, type FilterWeights } from '../core/methods/weights.js';
import { VisModel } from '../core/models/vis-model.js';
import { initBackend } from './backend.js';
import { renderGridPng } from './grid-png.js';
import { WEIGHTS_PIXEL_BUDGET, weightsFigure } from './weights-figure.js';

let vis: VisModel;
beforeAll(async () => {
  await initBackend('wasm');
  vis = new VisModel(sequentialModel());
});

async function pixels(png: Buffer) {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  const n = info.channels;
  const at = (x: number, y: number) =>
    Array.from(data.subarray((y * info.width + x) * n, (y * info.width + x) * n + 3));
  return { info, at };
}

describe('weights figure', () => {
  it('slices are at least 64 px (3x3 kernels upscaled 22x) and a bar centres the diverging map on 0', async () => {
    const result = await filterWeights(vis, 'conv_b', { filters: [0, 5], sharedScale: true });
    const { tiles, grid } = weightsFigure(result);
    expect(result.mode).toBe('slices');
    expect(tiles).toHaveLength(2 * 4);
    expect(grid.scale! * 3).toBeGreaterThanOrEqual(64);
    expect(grid.rowLabels).toEqual(['0', '5']);
    const m = result.limits[0].limit;
    expect(grid.colorbar!.colormap).toBe(diverging);
    expect(grid.colorbar!.ticks.map((t) => t.at)).toEqual([0, 0.5, 1]);
    expect(grid.colorbar!.ticks[1].label).toBe('0');
    expect(Number(grid.colorbar!.ticks[2].label)).toBeCloseTo(m, 2);

    // In the PNG, the first slice's top-left weight is a block of 22x22 identical pixels.
    const { at } = await pixels(await renderGridPng(tiles, grid));
    const first = Array.from(tiles[0].image.data.subarray(0, 3));
    let x0 = 0;
    const y0 = 24 + 2; // under the title, after the gap
    while (at(x0, y0).some((v, k) => v !== first[k])) x0++;
    let run = 0;
    while (at(x0 + run, y0).every((v, k) => v === first[k])) run++;
    expect(run).toBeGreaterThanOrEqual(22);
  });

  it("per-filter scales: the bar reads -m, 0, +m and each filter's m is beside it", async () => {
    const result = await filterWeights(vis, 'conv_a', { filters: [1, 2] });
    const { tiles, grid } = weightsFigure(result);
    // conv_a has 3 input channels: RGB tiles, zero at mid-gray, so the bar is gray.
    expect(grid.colorbar!.colormap).toBe(gray);
    expect(grid.colorbar!.ticks.map((t) => t.label)).toEqual(['-m', '0', '+m']);
    expect(grid.colorbar!.caption).toMatch(/largest \|weight\|/);
    const m1 = result.limits[0].limit;
    expect(tiles[0].label).toMatch(/^1 ±/);
    expect(Number(tiles[0].label!.split('±')[1])).toBeCloseTo(m1, 2);
  });

  it('shrinks slices of a huge layer under the pixel budget and says so', () => {
    const filters = Array.from({ length: 512 }, (_, i) => i);
    const tile = { filter: 0, image: solidRgba(3, 3, [0, 0, 0, 255]) };
    const result: FilterWeights = {
      layer: 'block5_conv3',
      kernelShape: [3, 3, 512, 512],
      mode: 'slices',
      tiles: Array.from({ length: 512 * 512 }, () => tile),
      ranges: filters.map((f) => ({ filter: f, min: -1, max: 1 })),
      display: 'signed',
      limits: filters.map((f) => ({ filter: f, limit: 1 })),
      shared: false,
    };
    const { grid } = weightsFigure(result);
    const side = (3 * grid.scale! + 2) * 512;
    expect(side * side).toBeLessThanOrEqual(WEIGHTS_PIXEL_BUDGET);
    expect(grid.notes!.join(' ')).toMatch(/tiles shrunk to \d+ px .*--filters/);
    expect(weightsFigure(result, { scale: 30 }).grid.scale).toBe(30); // asked for: kept
  });
});
