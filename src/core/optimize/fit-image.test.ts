/** A Fourier image started from a given image: the fitted spectrum reproduces it. */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { fourierImage } from '../parameterizations/fourier.js';
import { fitToImage } from './fit-image.js';

describe('fitToImage', () => {
  it('fits a decorrelated Fourier spectrum to an image (far closer than the noise start)', async () => {
    const shape = { batch: 1, height: 24, width: 24, channels: 3 };
    // A smooth colour gradient and a bright square: structure at low and high frequency.
    const values = new Float32Array(24 * 24 * 3).map((_, p) => {
      const [y, x, c] = [Math.floor(p / 72), Math.floor(p / 3) % 24, p % 3];
      const square = y > 6 && y < 14 && x > 8 && x < 18 ? 0.4 : 0;
      return 0.15 + (0.5 * (c === 0 ? x : y)) / 24 + square;
    });
    const target = tf.tensor4d(values, [1, 24, 24, 3]);
    const image = fourierImage(shape, { sd: 0.01, seed: 1 });
    const before = tf.tidy(
      () => tf.mean(tf.squaredDifference(image.image(), target)).dataSync()[0],
    );
    const error = await fitToImage(image, target);
    expect(error).toBeLessThan(before / 50);
    expect(error).toBeLessThan(0.002);
    image.dispose();
    target.dispose();
  });
});
