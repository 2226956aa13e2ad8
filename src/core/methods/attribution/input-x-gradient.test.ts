/**
 * Input x Gradient against a hand computation: x_p times d logit / d x_p through the two ReLU
 * maps of test/helpers/two-map-model.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../node/backend.js';
import { relativeError } from '../../../../test/helpers/random.js';
import {
  SIZE,
  denseWeights,
  handGradient,
  testImage,
  twoMapModel,
} from '../../../../test/helpers/two-map-model.js';
import { attribute } from '../attribution.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('Input x Gradient', () => {
  it('is each pixel times the gradient of the logit there', async () => {
    const weights = denseWeights(23);
    const x = testImage(29);
    const g = handGradient(weights, 1);
    const expected = Array.from(
      x,
      (v, p) => v * ((v > 0.5 ? g[0][p] : 0) - (v < 0.5 ? g[1][p] : 0)),
    );
    const result = await attribute(
      twoMapModel(weights),
      tf.tensor3d(x, [SIZE, SIZE, 1]),
      'input-x-gradient',
      { kind: 'class', index: 1 },
    );
    expect(relativeError(result.values, expected)).toBeLessThan(1e-5);
  });
});
