import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { functionalModel, sequentialModel } from '../../../test/helpers/fixture-models.js';
import { initBackend } from '../../node/backend.js';
import { LOGITS } from './forward.js';
import { VisModel } from './vis-model.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('forward with inference: true (fused conv + bias + ReLU)', () => {
  it('gives the same activations and logits as the unfused graph', () => {
    for (const [model, channels] of [
      [sequentialModel(), 3],
      [functionalModel(2, 1), 1],
    ] as const) {
      const vis = new VisModel(model);
      const { height, width } = vis.input;
      const images = tf.randomUniform([2, height, width, channels], 0, 1, 'float32', 9) as tf.Tensor4D;
      const names = [...vis.layers.filter((l) => l.kind !== 'InputLayer').map((l) => l.name), LOGITS];
      const plain = vis.activations(images, names);
      const fused = vis.activations(images, names, { inference: true });
      for (const name of names) {
        const difference = tf.max(tf.abs(tf.sub(plain[name], fused[name]))).dataSync()[0];
        expect(difference, name).toBeLessThan(1e-5);
      }
    }
  });
});
