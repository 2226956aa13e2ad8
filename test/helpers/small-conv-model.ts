/**
 * A small seeded conv net (16 px, conv1 6 channels, pool1, conv2 8 channels, 4-way softmax)
 * for tests of the optimization loop and its parts.
 */
import * as tf from '@tensorflow/tfjs';
import { VisModel } from '../../src/core/models/vis-model.js';

/** `range` 0..255 gives the gradient scale of VGG's caffe input, which Yosinski's rates assume. */
export function smallModel(channels = 3, range: [number, number] = [0, 1]): VisModel {
  const init = (i: number) => tf.initializers.glorotUniform({ seed: 10 + i });
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [16, 16, channels],
        filters: 6,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        name: 'conv1',
        kernelInitializer: init(0),
      }),
      tf.layers.maxPooling2d({ poolSize: 2, name: 'pool1' }),
      tf.layers.conv2d({
        filters: 8,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        name: 'conv2',
        kernelInitializer: init(1),
      }),
      tf.layers.flatten({ name: 'flatten' }),
      tf.layers.dense({
        units: 4,
        activation: 'softmax',
        name: 'predictions',
        kernelInitializer: init(2),
      }),
    ],
  });
  return new VisModel(model, { name: 'small', input: { range } });
}
