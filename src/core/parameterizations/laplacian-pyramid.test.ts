/**
 * The Laplacian pyramid: its image is the sum of the levels upsampled bilinearly (by hand on
 * a 4x4 image), it is a `--parameterization` choice, and a run with it raises the objective
 * with every level moving.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { smallModel } from '../../../test/helpers/small-conv-model.js';
import { initBackend } from '../../node/backend.js';
import { channel } from '../objectives/objective.js';
import { maximize } from '../optimize/maximize.js';
import { getPreset } from '../optimize/presets.js';
import { applyOverrides } from '../optimize/setting-options.js';
import { lastResult } from '../run/last-result.js';
import { laplacianPyramidBasis } from './laplacian-pyramid.js';
import { createParameterization } from './registry.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('laplacian pyramid', () => {
  it('sums its levels, each upsampled bilinearly', async () => {
    const basis = laplacianPyramidBasis(
      { batch: 1, height: 4, width: 4, channels: 1 },
      { levels: 2 },
    );
    expect(basis.variables.map((v) => v.shape)).toEqual([
      [1, 4, 4, 1],
      [1, 2, 2, 1],
    ]);
    basis.variables[0].assign(tf.zeros([1, 4, 4, 1]));
    basis.variables[1].assign(tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]));
    // Output pixel i samples input i / 2 (TF's bilinear without half-pixel centres), clamped.
    expect(Array.from(await basis.spatial().data())).toEqual([
      1, 1.5, 2, 2, 2, 2.5, 3, 3, 3, 3.5, 4, 4, 3, 3.5, 4, 4,
    ]);
    basis.dispose();
  });

  it('is a --parameterization choice whose runs raise the objective on every level', async () => {
    const settings = applyOverrides(getPreset('lucid').settings, {
      parameterization: 'laplacian-pyramid',
      steps: 24,
    });
    expect(settings.parameterization).toEqual({
      kind: 'laplacian-pyramid',
      sd: 0.01,
      levels: 4,
      decorrelate: true,
    });
    const result = await lastResult(
      maximize(smallModel(), [channel('conv1', 2)], settings, { seed: 2 }),
    );
    expect(result.bestScores[0]).toBeGreaterThan(result.initial[0] + 0.05);
    const p = createParameterization(settings.parameterization, {
      shape: { batch: 1, height: 16, width: 16, channels: 3 },
      seed: 1,
    });
    const grads = tf.variableGrads(() => tf.sum(tf.square(p.image())) as tf.Scalar, p.variables);
    for (const v of p.variables)
      expect(tf.max(tf.abs(grads.grads[v.name])).dataSync()[0]).toBeGreaterThan(0);
    p.dispose();
  });
});
