import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { diverging, viridis } from '../core/image/colormap.js';
import { rgbaFromFloats } from '../core/image/rgba.js';
import { formatValue, rangeTicks } from './colorbar.js';
import { renderGridPng } from './grid-png.js';

async function pixels(png: Buffer) {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  const n = info.channels;
  const at = (x: number, y: number) =>
    Array.from(data.subarray((y * info.width + x) * n, (y * info.width + x) * n + 3));
  return { info, at };
}

/** The first (x, y), row by row, whose pixel is `rgb`. */
function find(at: (x: number, y: number) => number[], w: number, h: number, rgb: number[]) {
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) if (at(x, y).every((v, k) => v === rgb[k])) return [x, y];
  return undefined;
}

describe('colour bars', () => {
  it('labels values short and ticks min, max and a zero inside', () => {
    expect(formatValue(0.012345)).toBe('0.0123');
    expect(formatValue(-2)).toBe('-2');
    expect(formatValue(2.5)).toBe('2.5');
    expect(formatValue(12345)).toBe('1.23e+4');
    expect(formatValue(0.00012)).toBe('1.2e-4');
    expect(formatValue(0)).toBe('0');
    expect(rangeTicks(-1, 3)).toEqual([
      { at: 0, label: '-1' },
      { at: 0.25, label: '0' },
      { at: 1, label: '3' },
    ]);
    expect(rangeTicks(0, 4.2)).toEqual([
      { at: 0, label: '0' },
      { at: 1, label: '4.2' },
    ]);
  });

  it("a figure's bar: column i is colormap(i / (w - 1)), with a tick where 0 lies", async () => {
    const tile = rgbaFromFloats([1, 1, 1, 1], 2, 2, 1);
    const png = await renderGridPng([{ image: tile }], {
      scale: 32,
      gap: 4,
      colorbar: { colormap: viridis, ticks: rangeTicks(-1, 3) },
    });
    const { info, at } = await pixels(png);
    const start = find(at, info.width, info.height, viridis(0));
    expect(start).toBeDefined();
    const [x0, y0] = start!;
    // The bar is 120 px wide (a narrow grid's minimum): its colors follow viridis exactly.
    for (const i of [0, 17, 59, 60, 100, 119]) expect(at(x0 + i, y0)).toEqual(viridis(i / 119));
    expect(at(x0 + 120, y0)).toEqual([255, 255, 255]);
    // 0 of [-1, 3] lies at a quarter: a dark tick under the bar there, none beside it.
    const tickY = y0 + 10;
    expect(at(x0 + Math.round(0.25 * 119), tickY)).toEqual([34, 34, 34]);
    expect(at(x0 + Math.round(0.25 * 119) + 3, tickY)).toEqual([255, 255, 255]);
  });

  it("a tile's bar is as wide as the tile, under its caption", async () => {
    const tile = rgbaFromFloats(new Float32Array(16).fill(0.5), 4, 4, 1);
    const png = await renderGridPng(
      [{ image: tile, label: 'w', colorbar: { colormap: diverging, ticks: rangeTicks(-2, 2) } }],
      { scale: 16, gap: 4 },
    );
    const { info, at } = await pixels(png);
    const [x0, y0] = find(at, info.width, info.height, diverging(0))!;
    expect(x0).toBe(4); // the tile's left edge
    expect(y0).toBeGreaterThan(4 + 64 + 16 - 1); // below the tile and its caption
    expect(at(x0 + 63, y0)).toEqual(diverging(1));
    expect(at(x0 + 64, y0)).toEqual([255, 255, 255]);
  });

  it('draws an image beside the grid and notes under it', async () => {
    const side = rgbaFromFloats([1, 0, 0], 1, 1, 3);
    const tile = rgbaFromFloats([0, 0, 1], 1, 1, 3);
    const png = await renderGridPng([{ image: tile }], {
      scale: 64,
      gap: 4,
      aside: { image: side, label: 'input.png', scale: 80 },
      notes: ['a note'],
    });
    const { info, at } = await pixels(png);
    expect(at(4, 4)).toEqual([255, 0, 0]);
    expect(at(4 + 79, 4 + 79)).toEqual([255, 0, 0]);
    const blue = find(at, info.width, info.height, [0, 0, 255])!;
    expect(blue[0]).toBeGreaterThanOrEqual(4 + 80 + 4); // the grid starts right of the image
    expect(info.height).toBeGreaterThan(4 + 80 + 16 + 15); // image, its name, a note line
  });
});
