/**
 * The figures people read: feature maps beside their input, attributions with colour bars and
 * Grad-CAM over a gray copy, receptive fields that say when the border clips them. Values are
 * checked against independent computations (raw activations, hand-computed luma and blends).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { sequentialModel } from '../../test/helpers/fixture-models.js';
import { randomArray } from '../../test/helpers/random.js';
import { jet, viridis } from '../core/image/colormap.js';
import { rgbaFromFloats, solidRgba } from '../core/image/rgba.js';
import type { Attribution } from '../core/methods/attribution.js';
import { featureMaps, type LayerMaps } from '../core/methods/feature-maps.js';
import { VisModel } from '../core/models/vis-model.js';
import { attributionTile } from './attribution-figure.js';
import { initBackend } from './backend.js';
import { formatValue, rangeTicks } from './colorbar.js';
import { centerBoxes, legendText, receptiveFieldsSvg } from './draw-receptive-fields.js';
import { mapsFigure } from './maps-figure.js';
import { openModel } from './open-model.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('feature-map figure', () => {
  it('shows the input and its name, each tile its own range, and a min-max bar', async () => {
    const vis = new VisModel(sequentialModel(3));
    const pixels = randomArray(12 * 12 * 3, 5).map((v) => (v + 1) / 2);
    const image = tf.tensor3d(pixels, [12, 12, 3]);
    const maps = await featureMaps(vis, image, ['conv_a', 'conv_b'], {
      raw: true,
      colormap: 'viridis',
    });
    image.dispose();
    const input = { image: rgbaFromFloats(pixels, 12, 12, 3), file: '/tmp/some/dir/cat.png' };
    const { tiles, grid } = mapsFigure({ maps, input, normalize: 'channel', colormap: 'viridis' });
    expect(grid.aside!.image).toBe(input.image);
    expect(grid.aside!.label).toBe('cat.png');
    expect(grid.aside!.scale! * 12).toBeGreaterThanOrEqual(64);
    expect(grid.rowLabels).toEqual(['conv_a', 'conv_b']);
    // Each conv_b tile: the range of the raw activations computed here, or "all 0" when the
    // channel never fires on this image.
    const raw = Array.from(maps[1].raw!.values);
    let live = 0;
    for (let c = 0; c < 6; c++) {
      const values = raw.filter((_, i) => i % 6 === c);
      const [min, max] = [Math.min(...values), Math.max(...values)];
      const [index, range] = tiles[6 + c].label!.split('\n');
      expect(index).toBe(`${c}`);
      expect(range).toBe(max > min ? `${formatValue(min)} – ${formatValue(max)}` : 'all 0');
      if (max > min) live++;
    }
    expect(live).toBeGreaterThan(0);
    expect(grid.colorbar!.colormap).toBe(viridis);
    expect(grid.colorbar!.ticks.map((t) => t.label)).toEqual(['min', 'max']);
  });

  it('one layer on one range: the bar carries its numbers; a constant channel says so', () => {
    const channel = (index: number, min: number, max: number) => ({
      index,
      min,
      max,
      mean: 0,
      image: solidRgba(2, 2, [0, 0, 0, 255]),
    });
    const layer: LayerMaps = {
      name: 'conv',
      height: 2,
      width: 2,
      channels: [channel(0, -0.5, 2), channel(1, 0, 0)],
    };
    const input = { image: solidRgba(2, 2, [9, 9, 9, 255]), file: 'x.png' };
    const { tiles, grid } = mapsFigure({
      maps: [layer],
      input,
      normalize: 'layer',
      colormap: 'gray',
    });
    expect(grid.colorbar!.ticks).toEqual(rangeTicks(-0.5, 2));
    expect(grid.colorbar!.ticks[1]).toEqual({ at: 0.2, label: '0' });
    expect(grid.rowLabels![0]).toBe('conv\n-0.5 – 2');
    expect(tiles[1].label).toBe('1\nall 0');
  });
});

describe('attribution tiles', () => {
  it('Grad-CAM: hot pixels are red over a gray copy, cold pixels the gray copy itself', () => {
    // A yellow input (a color that must not survive) and a heat map hot at pixel 0 only.
    const input = rgbaFromFloats(
      new Float32Array(4 * 3).fill(1).map((v, i) => (i % 3 === 2 ? 0 : v)),
      2,
      2,
      3,
    );
    const values = new Float32Array([2, 1, 0, 0]);
    const attribution: Attribution = {
      method: 'gradcam',
      target: { kind: 'class', index: 0 },
      values,
      shape: [2, 2, 1],
      min: 0,
      max: 2,
      display: 'heat',
      quantity: 'Grad-CAM, over the image in gray',
    };
    const tile = attributionTile(attribution, input, 'gradcam');
    const px = (p: number) => Array.from(tile.image.data.subarray(p * 4, p * 4 + 3));
    const gray = Math.round(0.299 * 255 + 0.587 * 255); // the luma of yellow
    expect(px(3)).toEqual([gray, gray, gray]);
    const redness = (rgb: number[]) => rgb[0] - (rgb[1] + rgb[2]) / 2;
    expect(redness(px(0))).toBeGreaterThan(redness(px(1)));
    // Heat 1 at alpha 0.7: 0.3 gray + 0.7 jet(1).
    expect(px(0)).toEqual(jet(1).map((c) => Math.round(gray * 0.3 + c * 0.7)));
    expect(tile.colorbar!.colormap).toBe(jet);
    expect(tile.colorbar!.ticks).toEqual(rangeTicks(0, 2));
  });

  it('signed projections span -m, 0, m; magnitudes 0 to m', () => {
    const base = {
      target: { kind: 'class', index: 0 } as const,
      values: new Float32Array([-3, 1, 2, 0]),
      shape: [2, 2, 1] as [number, number, number],
      min: -3,
      max: 2,
    };
    const input = solidRgba(2, 2, [0, 0, 0, 255]);
    const guided = attributionTile(
      { ...base, method: 'guided', display: 'signed', quantity: 'gradient (0 = gray)' },
      input,
      'guided',
    );
    expect(guided.colorbar!.ticks).toEqual([
      { at: 0, label: '-3' },
      { at: 0.5, label: '0' },
      { at: 1, label: '3' },
    ]);
    const saliency = attributionTile(
      { ...base, method: 'saliency', display: 'magnitude', quantity: '|gradient|' },
      input,
      'saliency',
    );
    expect(saliency.colorbar!.caption).toBe('|gradient|');
    expect(saliency.colorbar!.ticks).toEqual(rangeTicks(0, 3));
    expect(saliency.colorbar!.colormap).toBe(viridis);
  });
});

describe('receptive-field legend', () => {
  it("says when the border clips a field: the embedded model's block3_conv2 is 32 px, 28 visible", async () => {
    const model = await openModel();
    const boxes = centerBoxes(model.layers, 28, 28);
    const b3 = boxes.find((b) => b.layer === 'block3_conv2')!;
    expect(b3.size).toEqual([model.layer('block3_conv2').receptiveField!.vertical.size, 32]);
    expect(b3.box[2] - b3.box[0]).toBe(28);
    expect(legendText(b3)).toBe(
      'block3_conv2: 32x32 px (28x28 visible, clipped at the image border)',
    );
    const b1 = boxes.find((b) => b.layer === 'block1_conv2')!;
    expect(legendText(b1)).toBe('block1_conv2: 5x5 px');
    const svg = receptiveFieldsSvg(boxes, 12, 500, 336);
    expect(svg).toContain('block3_conv2: 32x32 px (28x28 visible, clipped at the image border)');
    model.dispose();
  });
});
