/**
 * Guided Grad-CAM against a hand computation: guided backprop through the 1x1 conv (the
 * gradient g_k at each map, masked by [g > 0] [z > 0], back through the kernel [1, -1]) times
 * the Grad-CAM map relu(sum_k mean(g_k) A_k) (test/helpers/two-map-model.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../node/backend.js';
import { relativeError } from '../../../../test/helpers/random.js';
import {
  SIZE,
  denseWeights,
  handGradient,
  handMaps,
  testImage,
  twoMapModel,
} from '../../../../test/helpers/two-map-model.js';
import { attribute } from '../attribution.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('guided Grad-CAM', () => {
  it('is guided backprop times the upsampled Grad-CAM map', async () => {
    const weights = denseWeights(13);
    const x = testImage(9);
    const c = 1;
    const maps = handMaps(x);
    const g = handGradient(weights, c);
    const kernel = [1, -1];
    const guided = Array.from(x, (_, p) =>
      [0, 1].reduce((sum, k) => sum + kernel[k] * (g[k][p] > 0 && maps[k][p] > 0 ? g[k][p] : 0), 0),
    );
    const w = g.map((gk) => gk.reduce((a, b) => a + b, 0) / gk.length);
    const cam = maps[0].map((a0, p) => Math.max(w[0] * a0 + w[1] * maps[1][p], 0));
    const expected = guided.map((v, p) => v * cam[p]);
    const result = await attribute(
      twoMapModel(weights),
      tf.tensor3d(x, [SIZE, SIZE, 1]),
      'guided-gradcam',
      { kind: 'class', index: c },
    );
    expect(expected.some((v) => v !== 0)).toBe(true);
    expect(relativeError(result.values, expected)).toBeLessThan(1e-4);
    expect(result.display).toBe('signed');
    expect(result.camLayer).toBe('conv');
  });
});
