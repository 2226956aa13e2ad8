import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../node/backend.js';
import {
  applyYosinski,
  blur,
  clipSmallContribution,
  clipSmallNorm,
  decay,
  gaussianKernel,
  percentileMask,
} from './yosinski.js';
import { lpNorm, totalVariation } from './penalties.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const image = (values: number[], h: number, w: number, c = 1) => tf.tensor4d(values, [1, h, w, c]);

describe('Yosinski et al. regularizers', () => {
  it('decays by the factor 1 - decay', () => {
    expect(Array.from(decay(image([1, -2, 4, 0.5], 2, 2), 0.25).dataSync())).toEqual([
      0.75, -1.5, 3, 0.375,
    ]);
  });

  it('blurs with a normalized Gaussian: kernel sums to one, constants stay, an impulse spreads as the outer product', () => {
    const k = gaussianKernel(1);
    expect(k.length).toBe(7);
    expect(k.reduce((a, b) => a + b)).toBeCloseTo(1, 6);
    expect(k[3] / k[4]).toBeCloseTo(Math.exp(0.5), 5);
    const constant = blur(tf.fill([1, 9, 9, 2], 0.3) as tf.Tensor4D, 1);
    for (const v of constant.dataSync()) expect(v).toBeCloseTo(0.3, 5);
    const impulse = new Array(15 * 15).fill(0);
    impulse[7 * 15 + 7] = 1;
    const out = blur(image(impulse, 15, 15), 1).dataSync();
    for (let y = 4; y <= 10; y++) {
      for (let x = 4; x <= 10; x++) expect(out[y * 15 + x]).toBeCloseTo(k[y - 4] * k[x - 4], 6);
    }
  });

  it('percentile masks drop exactly the floor(p% * n) smallest values', () => {
    const values = tf.tensor3d([
      [
        [5, 1, 9],
        [3, 7, 2],
      ],
    ]); // sorted: 1 2 3 5 7 9
    expect(Array.from(percentileMask(values, 50).dataSync())).toEqual([1, 0, 1, 0, 1, 0]);
    expect(Array.from(percentileMask(values, 34).dataSync())).toEqual([1, 0, 1, 1, 1, 0]); // floor(2.04) = 2
    expect(Array.from(percentileMask(values, 0).dataSync())).toEqual([1, 1, 1, 1, 1, 1]);
    expect(Array.from(percentileMask(values, 100).dataSync())).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('clips pixels by their channel norm and by their contribution |sum_c g x|', () => {
    // Pixel norms: (3,4)->5, (0,1)->1, (1,1)->1.41, (0,2)->2
    const x = image([3, 4, 0, 1, 1, 1, 0, 2], 2, 2, 2);
    expect(Array.from(clipSmallNorm(x, 50).dataSync())).toEqual([3, 4, 0, 0, 0, 0, 0, 2]);
    // Contributions: |3-4|=1, |0+1|=1... use g so they are 1, 0.5, 2, 4.
    const g = image([1, -0.5, 0, 0.5, 1, 1, 0, 2], 2, 2, 2);
    // (3*1 + 4*-0.5) = 1; (0 + 0.5) = 0.5; (1 + 1) = 2; (0 + 4) = 4
    expect(Array.from(clipSmallContribution(x, g, 50).dataSync())).toEqual([
      0, 0, 0, 0, 1, 1, 0, 2,
    ]);
  });

  it('runs in the paper order and blurs only every k-th step', () => {
    const x = tf.randomNormal([1, 8, 8, 1], 0, 1, 'float32', 5) as tf.Tensor4D;
    const g = tf.zerosLike(x) as tf.Tensor4D;
    const settings = { decay: 0.1, blurRadius: 1, blurEvery: 4, normPct: 25, contribPct: 0 };
    const notBlurred = applyYosinski(x, g, settings, 3).dataSync();
    const expectedNoBlur = clipSmallNorm(decay(x, 0.1), 25).dataSync();
    expect(Array.from(notBlurred)).toEqual(Array.from(expectedNoBlur));
    const blurred = applyYosinski(x, g, settings, 4).dataSync();
    const expectedBlur = clipSmallNorm(blur(decay(x, 0.1), 1), 25).dataSync();
    blurred.forEach((v, i) => expect(v).toBeCloseTo(expectedBlur[i], 6));
  });
});

describe('penalties', () => {
  it('total variation and Lp norm match hand computation', () => {
    const x = image([0, 1, 1, 3], 2, 2); // dy: |1-0|,|3-1| -> mean 1.5; dx: 1, 2 -> 1.5
    expect(totalVariation(x).dataSync()[0]).toBeCloseTo(3, 6);
    expect(lpNorm(x, 2).dataSync()[0]).toBeCloseTo((0.25 + 0.25 + 0.25 + 6.25) / 4, 6);
  });
});
