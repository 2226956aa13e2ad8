/**
 * Score-CAM against a hand computation: each map, min-max normalized, masks the image; the
 * target's logit on each masked image (the net's forward pass in plain JS), softmaxed over the
 * maps, weighs them (test/helpers/two-map-model.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../node/backend.js';
import { relativeError } from '../../../../test/helpers/random.js';
import {
  SIZE,
  denseWeights,
  handLogit,
  handMaps,
  testImage,
  twoMapModel,
} from '../../../../test/helpers/two-map-model.js';
import { attribute } from '../attribution.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('Score-CAM', () => {
  it('weighs the maps by the softmax of the scores of the images they mask', async () => {
    const weights = denseWeights(11);
    const x = testImage(5);
    const maps = handMaps(x);
    const masks = maps.map((m) => {
      const [low, high] = [Math.min(...m), Math.max(...m)];
      return m.map((v) => (v - low) / (high - low));
    });
    for (const c of [0, 1]) {
      const scores = masks.map((mask) =>
        handLogit(
          Array.from(x, (v, p) => v * mask[p]),
          weights,
          c,
        ),
      );
      const e = scores.map((s) => Math.exp(s - Math.max(...scores)));
      const w = e.map((v) => v / (e[0] + e[1]));
      const expected = maps[0].map((a0, p) => Math.max(w[0] * a0 + w[1] * maps[1][p], 0));
      const result = await attribute(
        twoMapModel(weights),
        tf.tensor3d(x, [SIZE, SIZE, 1]),
        'scorecam',
        { kind: 'class', index: c },
      );
      expect(result.camLayer).toBe('conv');
      expect(relativeError(result.values, expected)).toBeLessThan(1e-4);
      expect(relativeError(result.cam!.values, expected)).toBeLessThan(1e-4);
    }
  });

  it('a flat map masks everything out instead of dividing by zero', async () => {
    // All pixels bright: A_1 = relu(0.5 - x) is 0 everywhere.
    const x = new Float32Array(SIZE * SIZE).fill(0.8);
    x[0] = 0.9;
    const result = await attribute(twoMapModel(), tf.tensor3d(x, [SIZE, SIZE, 1]), 'scorecam', {
      kind: 'class',
      index: 0,
    });
    expect(Array.from(result.values).every(Number.isFinite)).toBe(true);
  });
});
