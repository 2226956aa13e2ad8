/**
 * The noise tunnel: SmoothGrad of Grad-CAM and of guided backprop equal a brute-force mean of
 * the base method run on each noisy copy alone (the same seeded noise, drawn 8 copies at a
 * time), and the squared variant the mean of their squares.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../node/backend.js';
import { functionalModel } from '../../../../test/helpers/fixture-models.js';
import { randomArray, relativeError } from '../../../../test/helpers/random.js';
import { VisModel } from '../../models/vis-model.js';
import type { AttributionTarget } from '../attribution-target.js';
import { attribute } from '../attribution.js';
import { TUNNEL_CHUNK, noisyCopies } from './noise-tunnel.js';

beforeAll(async () => {
  await initBackend('wasm');
});

/** The mean over `samples` noisy copies of `method` run on each copy alone (`square`: of squares). */
async function bruteForce(
  vis: VisModel,
  image: tf.Tensor3D,
  method: string,
  target: AttributionTarget,
  { samples, noise, seed }: { samples: number; noise: number; seed: number },
  square = false,
): Promise<Float64Array> {
  let mean: Float64Array | undefined;
  const batch = image.expandDims(0) as tf.Tensor4D;
  for (let start = 0; start < samples; start += TUNNEL_CHUNK) {
    const n = Math.min(TUNNEL_CHUNK, samples - start);
    const copies = noisyCopies(batch, n, noise, seed, start);
    for (const copy of tf.unstack(copies) as tf.Tensor3D[]) {
      const { values } = await attribute(vis, copy, method, target);
      mean ??= new Float64Array(values.length);
      values.forEach((v, i) => (mean![i] += (square ? v * v : v) / samples));
    }
  }
  return mean!;
}

describe('noise tunnel (SmoothGrad of any method)', () => {
  const vis = () => new VisModel(functionalModel(4, 1));
  let image: tf.Tensor3D;
  beforeAll(() => {
    image = tf.tensor3d(
      randomArray(100, 9).map((v) => (v + 1) / 2),
      [10, 10, 1],
    );
  });
  const target = { kind: 'class', index: 2 } as const;
  const settings = { samples: 11, noise: 0.2, seed: 5 };

  it('SmoothGrad of Grad-CAM is the mean Grad-CAM of the noisy copies, with its layer and raw map', async () => {
    const model = vis();
    const smooth = await attribute(model, image, 'smoothgrad', target, {
      ...settings,
      base: 'gradcam',
    });
    const expected = await bruteForce(model, image, 'gradcam', target, settings);
    expect(Math.max(...expected)).toBeGreaterThan(0);
    expect(relativeError(smooth.values, expected)).toBeLessThan(1e-5);
    expect([smooth.display, smooth.camLayer, smooth.cam?.height]).toEqual(['heat', 'c2', 5]);
    expect(smooth.quantity).toBe('Grad-CAM under noise');
    // Not just Grad-CAM of the clean image.
    const clean = await attribute(model, image, 'gradcam', target);
    expect(relativeError(smooth.values, clean.values)).toBeGreaterThan(1e-3);
  });

  it('SmoothGrad of guided backprop, mean and squared, against the brute-force means', async () => {
    const model = vis();
    const smooth = await attribute(model, image, 'smoothgrad', target, {
      ...settings,
      base: 'guided',
    });
    const expected = await bruteForce(model, image, 'guided', target, settings);
    expect(relativeError(smooth.values, expected)).toBeLessThan(1e-5);
    expect(smooth.display).toBe('signed');
    const squared = await attribute(model, image, 'smoothgrad', target, {
      ...settings,
      base: 'guided',
      smoothing: 'squared',
    });
    const expectedSquares = await bruteForce(model, image, 'guided', target, settings, true);
    expect(relativeError(squared.values, expectedSquares)).toBeLessThan(1e-5);
    expect(squared.display).toBe('magnitude');
  });

  it('refuses options out of range, naming them', async () => {
    await expect(attribute(vis(), image, 'smoothgrad', target, { samples: 0 })).rejects.toThrow(
      "smoothgrad's samples must be a whole number >= 1, got '0'",
    );
    await expect(attribute(vis(), image, 'smoothgrad', target, { base: 'magic' })).rejects.toThrow(
      /smoothgrad's base must be one of deconvnet, guided, saliency, gradcam/,
    );
  });
});
