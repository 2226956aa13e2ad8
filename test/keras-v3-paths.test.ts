/**
 * Keras 3 weight paths: the snake-case class names and per-class counters of Keras'
 * `naming.to_snake_case` and `saving_lib._save_container_state`, nested models under their own
 * path, and counters that restart inside each nested model.
 */
import { describe, expect, it } from 'vitest';
import { keras3WeightPaths, toSnakeCase } from '../src/core/models/keras-v3-weights.js';

describe('Keras 3 weight paths', () => {
  it('snake-cases class names as Keras does', () => {
    const names = ['Conv2D', 'BatchNormalization', 'MaxPooling2D', 'GlobalAveragePooling2D'];
    expect(names.map(toSnakeCase)).toEqual([
      'conv2d',
      'batch_normalization',
      'max_pooling2d',
      'global_average_pooling2d',
    ]);
    expect(['ReLU', 'DepthwiseConv2D', 'Conv2DTranspose', 'PReLU'].map(toSnakeCase)).toEqual([
      're_lu',
      'depthwise_conv2d',
      'conv2d_transpose',
      'p_re_lu',
    ]);
  });

  it('numbers layers per class in config order, nested models under their path', () => {
    const paths = keras3WeightPaths([
      { name: 'image', className: 'InputLayer' },
      { name: 'stem', className: 'Conv2D' },
      { name: 'bn', className: 'BatchNormalization' },
      {
        name: 'block',
        className: 'Functional',
        nested: [
          { name: 'inner_a', className: 'Conv2D' },
          { name: 'inner_b', className: 'Conv2D' },
        ],
      },
      { name: 'head', className: 'Conv2D' },
      { name: 'out', className: 'Dense' },
    ]);
    expect(paths.get('stem')?.path).toBe('layers/conv2d');
    expect(paths.get('bn')?.path).toBe('layers/batch_normalization');
    expect(paths.get('head')?.path).toBe('layers/conv2d_1');
    expect(paths.get('out')?.path).toBe('layers/dense');
    const block = paths.get('block')!;
    expect(block.path).toBe('layers/functional');
    expect(block.nested?.get('inner_a')?.path).toBe('layers/functional/layers/conv2d');
    expect(block.nested?.get('inner_b')?.path).toBe('layers/functional/layers/conv2d_1');
  });
});
