import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../node/backend.js';
import { functionalModel, sequentialModel } from '../../../test/helpers/fixture-models.js';
import { randomArray, relativeError } from '../../../test/helpers/random.js';
import { useFastGradients, useStockGradients } from '../kernel-patches/register.js';
import { toModelInput } from './input-spec.js';
import { VisModel } from './vis-model.js';

const images = (shape: [number, number, number, number], seed: number) =>
  tf.tensor4d(randomArray(shape.reduce((a, b) => a * b), seed).map((v) => (v + 1) / 2), shape);

beforeAll(async () => {
  await initBackend('wasm');
});

describe('VisModel', () => {
  it('reads any layers in one pass and predicts like the LayersModel (Sequential, fused ReLU)', () => {
    const model = sequentialModel();
    const vis = new VisModel(model);
    const x = images([3, 12, 12, 3], 1);
    const expected = model.predict(x) as tf.Tensor;
    expect(relativeError(vis.predict(x).dataSync(), expected.dataSync())).toBeLessThan(1e-5);
    const acts = vis.activations(x, ['conv_a', 'pool']);
    expect(acts.conv_a.shape).toEqual([3, 12, 12, 4]);
    expect(acts.pool.shape).toEqual([3, 5, 5, 6]);
    const sub = vis.subModel(['conv_a']).predict(x) as tf.Tensor;
    expect(relativeError(acts.conv_a.dataSync(), sub.dataSync())).toBeLessThan(1e-5);
    // Logits are the pre-softmax values: their softmax is the output, and they are not it.
    const logits = vis.logits(x);
    expect(relativeError(tf.softmax(logits).dataSync(), expected.dataSync())).toBeLessThan(1e-5);
    expect(relativeError(logits.dataSync(), expected.dataSync())).toBeGreaterThan(0.01);
    expect(vis.hasSoftmax).toBe(true);
  });

  it('finds logits before a separate softmax Activation layer (functional model)', () => {
    const model = functionalModel(2, 3);
    const vis = new VisModel(model);
    const x = images([2, 10, 10, 3], 2);
    const dense = vis.activations(x, ['logits']).logits;
    expect(relativeError(vis.logits(x).dataSync(), dense.dataSync())).toBeLessThan(1e-6);
    expect(relativeError(vis.predict(x).dataSync(), (model.predict(x) as tf.Tensor).dataSync())).toBeLessThan(1e-5);
  });

  it('gives input gradients on wasm that match the cpu backend through model.apply', async () => {
    const model = functionalModel(3, 1);
    const vis = new VisModel(model);
    const data = randomArray(2 * 10 * 10, 5).map((v) => (v + 1) / 2);
    const objective = (m: (x: tf.Tensor) => tf.Tensor) => (x: tf.Tensor) => tf.mean(tf.square(m(x)));
    await tf.setBackend('wasm');
    const fast = tf.grad(objective((x) => vis.activations(x as tf.Tensor4D, ['c2_relu']).c2_relu))(tf.tensor4d(data, [2, 10, 10, 1]));
    // tfjs' own path: model.apply with fused linear convs, which asks for Conv2DBackpropFilter.
    const sub = tf.model({ inputs: model.inputs, outputs: model.getLayer('c2_relu').output as tf.SymbolicTensor });
    const viaApply = tf.grad(objective((x) => sub.apply(x) as tf.Tensor))(tf.tensor4d(data, [2, 10, 10, 1]));
    useStockGradients();
    await tf.setBackend('cpu');
    const reference = tf.grad(objective((x) => sub.apply(x) as tf.Tensor))(tf.tensor4d(data, [2, 10, 10, 1]));
    const referenceData = reference.dataSync();
    useFastGradients();
    await tf.setBackend('wasm');
    expect(tf.max(tf.abs(fast)).dataSync()[0]).toBeGreaterThan(0);
    expect(relativeError(fast.dataSync(), referenceData)).toBeLessThan(1e-4);
    expect(relativeError(viaApply.dataSync(), referenceData)).toBeLessThan(1e-4);
  });

  it('maps [0, 1] RGB to caffe input: BGR order minus the ImageNet means', () => {
    const pixel = tf.tensor4d([1, 0.5, 0], [1, 1, 1, 3]);
    const spec = { height: 1, width: 1, channels: 3, range: [0, 1] as [number, number], preprocess: 'caffe' as const };
    const out = Array.from(toModelInput(pixel, spec).dataSync());
    // R=255, G=127.5, B=0 -> [B - 103.939, G - 116.779, R - 123.68]
    expect(out[0]).toBeCloseTo(-103.939, 3);
    expect(out[1]).toBeCloseTo(10.721, 3);
    expect(out[2]).toBeCloseTo(131.32, 3);
    const ranged = toModelInput(pixel, { ...spec, preprocess: 'none', range: [-1, 1] }).dataSync();
    expect(Array.from(ranged)).toEqual([1, 0, -1]);
  });

  it('names valid layers and classes in its errors', () => {
    const vis = new VisModel(sequentialModel(), { labels: ['a', 'b', 'c', 'd', 'e'] });
    expect(() => vis.layer('conv_z')).toThrow(/unknown layer 'conv_z'; layers are: .*conv_a, conv_b, pool, flatten, predictions/);
    expect(vis.classIndex('c')).toBe(2);
    expect(vis.classIndex('4')).toBe(4);
    expect(() => vis.classIndex('zebra')).toThrow(/classes are: a, b, c, d, e/);
    expect(() => vis.classIndex(9)).toThrow(/out of range/);
    expect(() => vis.predict(images([1, 8, 8, 3], 1))).toThrow(/8x8x3 but the model takes 12x12x3/);
  });

  it('leaks no tensors', () => {
    const vis = new VisModel(sequentialModel());
    const x = images([2, 12, 12, 3], 4);
    tf.tidy(() => tf.grad((xi) => tf.sum(vis.activations(xi as tf.Tensor4D, ['conv_b']).conv_b))(x)).dispose();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      tf.tidy(() => tf.grad((xi) => tf.sum(vis.activations(xi as tf.Tensor4D, ['conv_b']).conv_b))(x)).dispose();
      vis.predict(x).dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
