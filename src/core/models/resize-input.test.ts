import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../node/backend.js';
import { acceptsAnySize, withInputSize } from './resize-input.js';

beforeAll(async () => {
  await initBackend('wasm');
});

function convNet(withTop: boolean): tf.LayersModel {
  const layers: tf.layers.Layer[] = [
    tf.layers.conv2d({ inputShape: [16, 16, 3], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'c1', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
    tf.layers.maxPooling2d({ poolSize: 2, name: 'p1' }),
  ];
  if (withTop) layers.push(tf.layers.flatten({ name: 'flatten' }), tf.layers.dense({ units: 2, name: 'd' }));
  return tf.sequential({ layers });
}

describe('withInputSize', () => {
  it('rebuilds a fully convolutional model at another size with the same weights', async () => {
    const model = convNet(false);
    expect(acceptsAnySize(model)).toBe(true);
    const bigger = await withInputSize(model, 24, 20);
    expect(bigger.inputs[0].shape).toEqual([null, 24, 20, 3]);
    const x = tf.randomUniform([1, 24, 20, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
    const [kernel, bias] = model.getWeights() as [tf.Tensor4D, tf.Tensor1D];
    const expected = tf.maxPool(tf.relu(tf.add(tf.conv2d(x, kernel, 1, 'same'), bias)) as tf.Tensor4D, 2, 2, 'valid');
    const got = bigger.predict(x) as tf.Tensor;
    expect(got.shape).toEqual([1, 12, 10, 4]);
    const difference = tf.max(tf.abs(tf.sub(got, expected))).dataSync()[0];
    expect(difference).toBeLessThan(1e-5);
  });

  it('refuses a model whose Flatten/Dense fixes the size, naming the layer', async () => {
    const model = convNet(true);
    expect(acceptsAnySize(model)).toBe(false);
    await expect(withInputSize(model, 24, 24)).rejects.toThrow(/fixed by its Flatten layer 'flatten'/);
  });
});
