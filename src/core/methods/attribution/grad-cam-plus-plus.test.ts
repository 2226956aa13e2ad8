/**
 * Grad-CAM++ against a hand computation of pytorch-grad-cam's closed form on a net whose maps
 * and their gradients are known exactly (test/helpers/two-map-model.ts).
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

describe('Grad-CAM++', () => {
  it('weighs each map by sum alpha * relu(g), alpha = g^2 / (2 g^2 + sum(A) g^3 + eps)', async () => {
    const weights = denseWeights();
    const x = testImage();
    for (const c of [0, 1]) {
      const result = await attribute(
        twoMapModel(weights),
        tf.tensor3d(x, [SIZE, SIZE, 1]),
        'gradcam-plus-plus',
        { kind: 'class', index: c },
      );
      const maps = handMaps(x);
      const grads = handGradient(weights, c);
      const w = [0, 1].map((k) => {
        const sumA = maps[k].reduce((a, b) => a + b, 0);
        return grads[k].reduce((total, g) => {
          const alpha = g === 0 ? 0 : (g * g) / (2 * g * g + sumA * g ** 3 + 1e-6);
          return total + alpha * Math.max(g, 0);
        }, 0);
      });
      // A 1x1 conv keeps the image size, so upsampling is the identity.
      const expected = maps[0].map((a0, p) => Math.max(w[0] * a0 + w[1] * maps[1][p], 0));
      expect(result.camLayer).toBe('conv');
      expect(result.shape).toEqual([SIZE, SIZE, 1]);
      expect(Math.max(...expected)).toBeGreaterThan(0);
      expect(relativeError(result.values, expected)).toBeLessThan(1e-4);
      expect(relativeError(result.cam!.values, expected)).toBeLessThan(1e-4);
      expect(result.display).toBe('heat');
    }
  });
});
