/**
 * Integrated Gradients against a hand computation of the Riemann sum on a net whose input
 * gradient is known exactly (test/helpers/two-map-model.ts), and completeness (the attributions
 * sum to f(x) - f(baseline)) for every baseline on a deeper net.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../node/backend.js';
import { functionalModel } from '../../../../test/helpers/fixture-models.js';
import { randomArray, relativeError } from '../../../../test/helpers/random.js';
import {
  SIZE,
  denseWeights,
  handGradient,
  handLogit,
  testImage,
  twoMapModel,
} from '../../../../test/helpers/two-map-model.js';
import { VisModel } from '../../models/vis-model.js';
import { attribute } from '../attribution.js';
import { baselineOf } from './integrated-gradients.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('Integrated Gradients', () => {
  it('is (x - 0) times the trapezoid / midpoint mean of the path gradients (black baseline)', async () => {
    const weights = denseWeights(17);
    const x = testImage(21);
    const c = 0;
    const g = handGradient(weights, c);
    // d logit / d x_p at pixel value z: through A_0 = relu(z - 0.5) and A_1 = relu(0.5 - z).
    const slope = (z: number, p: number) => (z > 0.5 ? g[0][p] : 0) - (z < 0.5 ? g[1][p] : 0);
    const steps = 7;
    const rules = {
      trapezoid: Array.from({ length: steps }, (_, k) => ({
        a: k / (steps - 1),
        w: (k === 0 || k === steps - 1 ? 0.5 : 1) / (steps - 1),
      })),
      midpoint: Array.from({ length: steps }, (_, k) => ({ a: (k + 0.5) / steps, w: 1 / steps })),
    };
    for (const [integration, points] of Object.entries(rules)) {
      const expected = Array.from(
        x,
        (v, p) => v * points.reduce((s, { a, w }) => s + w * slope(a * v, p), 0),
      );
      const result = await attribute(
        twoMapModel(weights),
        tf.tensor3d(x, [SIZE, SIZE, 1]),
        'integrated-gradients',
        { kind: 'class', index: c },
        { steps, integration },
      );
      expect(relativeError(result.values, expected)).toBeLessThan(1e-5);
    }
    // Completeness, with enough steps: sum = f(x) - f(0).
    const fine = await attribute(
      twoMapModel(weights),
      tf.tensor3d(x, [SIZE, SIZE, 1]),
      'integrated-gradients',
      { kind: 'class', index: c },
      { steps: 400 },
    );
    const sum = fine.values.reduce((a, b) => a + b, 0);
    const difference = handLogit(x, weights, c) - handLogit(new Float32Array(x.length), weights, c);
    expect(Math.abs(sum - difference)).toBeLessThan(0.01 * Math.abs(difference));
  });

  it('completeness holds for each baseline on a two-conv net (sum = f(x) - f(baseline))', async () => {
    const layers = functionalModel(4, 1);
    const vis = new VisModel(layers);
    const data = randomArray(100, 12).map((v) => (v + 1) / 2);
    const image = tf.tensor4d(data, [1, 10, 10, 1]);
    const logit = (x: tf.Tensor4D) => vis.logits(x).dataSync()[1];
    for (const baseline of ['black', 'blur', 'noise', 'mean']) {
      const result = await attribute(
        vis,
        tf.tensor3d(data, [10, 10, 1]),
        'integrated-gradients',
        { kind: 'class', index: 1 },
        { baseline, steps: 300, integration: 'midpoint' },
      );
      const start = baselineOf(image, baseline);
      const difference = logit(image) - logit(start);
      const sum = result.values.reduce((a, b) => a + b, 0);
      expect(Math.abs(difference)).toBeGreaterThan(1e-3);
      expect(Math.abs(sum - difference), baseline).toBeLessThan(0.02 * Math.abs(difference));
    }
    // The baselines themselves: black is 0, mean is the mean colour, blur keeps a flat image.
    expect(Array.from(baselineOf(image, 'black').dataSync()).every((v) => v === 0)).toBe(true);
    const mean = data.reduce((a, b) => a + b, 0) / data.length;
    expect(baselineOf(image, 'mean').dataSync()[37]).toBeCloseTo(mean, 6);
    const flat = tf.fill([1, 10, 10, 1], 0.3) as tf.Tensor4D;
    expect(relativeError(baselineOf(flat, 'blur').dataSync(), flat.dataSync())).toBeLessThan(1e-6);
  });
});
