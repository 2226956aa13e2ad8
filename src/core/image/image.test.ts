import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { applyColormap, diverging, jet, viridis } from './colormap.js';
import { grayCopy, heatOverlay } from './heat-overlay.js';
import { minMax, normalizeMinMax, normalizeSigned } from './normalize.js';
import { cropRgba, rgbaFromFloats, tensorToRgba } from './rgba.js';

describe('image helpers', () => {
  it('tensorToRgba replicates gray, clamps and rounds', async () => {
    const t = tf.tensor3d([0, 0.5, 1.2, -1], [2, 2, 1]);
    const image = await tensorToRgba(t);
    t.dispose();
    expect(Array.from(image.data)).toEqual([
      0, 0, 0, 255, 128, 128, 128, 255, 255, 255, 255, 255, 0, 0, 0, 255,
    ]);
    const rgb = await tensorToRgba(tf.tensor3d([1, 0, 0.2], [1, 1, 3]));
    expect(Array.from(rgb.data)).toEqual([255, 0, 51, 255]);
    expect(() => rgbaFromFloats([1, 2], 1, 1, 2)).toThrow(/2 channels/);
  });

  it('normalizes min-max and signed', () => {
    expect(Array.from(normalizeMinMax([2, 4, 6]))).toEqual([0, 0.5, 1]);
    expect(Array.from(normalizeMinMax([3, 3]))).toEqual([0.5, 0.5]);
    expect(Array.from(normalizeMinMax([1], { min: 0, max: 4 }))).toEqual([0.25]);
    expect(Array.from(normalizeSigned([-2, 0, 1]))).toEqual([0, 0.5, 0.75]);
    expect(minMax([NaN, 1, -3])).toEqual({ min: -3, max: 1 });
  });

  it('maps values through viridis and overlays heat', () => {
    expect(viridis(0)).toEqual([68, 1, 84]);
    expect(viridis(1)).toEqual([253, 231, 37]);
    expect(viridis(0.5)).toEqual([38, 130, 142]);
    expect(viridis(2)).toEqual([253, 231, 37]);
    const image = applyColormap([0, 1], 2, 1);
    expect(Array.from(image.data)).toEqual([68, 1, 84, 255, 253, 231, 37, 255]);
  });

  it('diverging (ColorBrewer RdBu reversed) is near-white at zero; jet follows its knots', () => {
    expect(diverging(0)).toEqual([5, 48, 97]);
    expect(diverging(0.5)).toEqual([247, 247, 247]);
    expect(diverging(1)).toEqual([103, 0, 31]);
    expect(diverging(0.05)).toEqual([19, 75, 135]); // halfway between the first two samples
    expect(jet(0)).toEqual([0, 0, 128]);
    expect(jet(0.5)).toEqual([123, 255, 123]);
    // 0.89: red at its plateau, green on its way down (0.64 -> 0.91), blue gone.
    expect(jet(0.89)).toEqual([255, Math.round((1 - 0.25 / 0.27) * 255), 0]);
    expect(jet(1)).toEqual([128, 0, 0]);
  });

  it('overlays heat with alpha on a gray copy: cold pixels are the gray copy, hot ones red', () => {
    // A pure red and a pure green pixel: their gray copies are their luma.
    const base = rgbaFromFloats([1, 0, 0, 0, 1, 0], 2, 1, 3);
    expect(Array.from(grayCopy(base).data)).toEqual([76, 76, 76, 255, 150, 150, 150, 255]);
    const over = heatOverlay(base, [0, 1], 0.7);
    expect(Array.from(over.data.subarray(0, 4))).toEqual([76, 76, 76, 255]);
    // heat 1: 0.3 of gray 150 + 0.7 of jet(1) = [128, 0, 0].
    expect(Array.from(over.data.subarray(4, 8))).toEqual([
      Math.round(150 * 0.3 + 128 * 0.7),
      Math.round(150 * 0.3),
      Math.round(150 * 0.3),
      255,
    ]);
  });

  it('crops with padding outside the image', () => {
    const image = rgbaFromFloats([0, 1, 1, 0], 2, 2, 1);
    const crop = cropRgba(image, [1, -1, 3, 1], [9, 9, 9]);
    expect([crop.width, crop.height]).toEqual([2, 2]);
    expect(Array.from(crop.data)).toEqual([
      9, 9, 9, 255, 9, 9, 9, 255, 255, 255, 255, 255, 9, 9, 9, 255,
    ]);
  });
});
