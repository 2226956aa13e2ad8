import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../node/backend.js';
import { buildVgg } from './architectures/vgg.js';
import { buildLayerGraph } from './layer-graph.js';
import { receptiveBox } from './receptive-field.js';

beforeAll(async () => {
  await initBackend('cpu');
});

describe('receptive fields', () => {
  it('match hand-computed values on a valid-padding net (conv3 conv3 pool2 conv3 conv3 pool2)', () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [32, 32, 1], filters: 2, kernelSize: 3, name: 'c1' }),
        tf.layers.conv2d({ filters: 2, kernelSize: 3, name: 'c2' }),
        tf.layers.maxPooling2d({ poolSize: 2, name: 'p1' }),
        tf.layers.conv2d({ filters: 2, kernelSize: 3, name: 'c3' }),
        tf.layers.conv2d({ filters: 2, kernelSize: 3, name: 'c4' }),
        tf.layers.maxPooling2d({ poolSize: 2, name: 'p2' }),
        tf.layers.flatten({ name: 'flat' }),
        tf.layers.dense({ units: 3, name: 'out' }),
      ],
    });
    const graph = buildLayerGraph(model);
    const rf = (name: string) => graph.find((n) => n.name === name)!.receptiveField!.vertical;
    expect(['c1', 'c2', 'p1', 'c3', 'c4', 'p2'].map((n) => rf(n).size)).toEqual([3, 5, 6, 10, 14, 16]);
    expect(['c1', 'c2', 'p1', 'c3', 'c4', 'p2'].map((n) => rf(n).jump)).toEqual([1, 1, 2, 2, 2, 4]);
    // Centers of the first unit: valid 3x3 moves it one jump inward, a 2x2 pool half a jump.
    expect(['c1', 'c2', 'p1', 'c3', 'c4', 'p2'].map((n) => rf(n).start)).toEqual([1, 2, 2.5, 4.5, 6.5, 7.5]);
    expect(graph.find((n) => n.name === 'out')!.receptiveField).toBeNull();
    expect(graph.find((n) => n.name === 'flat')!.receptiveFieldNote).toBe('whole input');
    expect(graph[0].kind).toBe('InputLayer');
    expect(graph.map((n) => n.outputShape)).toContainEqual([5, 5, 2]);
  });

  it('match the published VGG16 values (random weights)', () => {
    const model = buildVgg('vgg16', { includeTop: false, size: 224 });
    const graph = buildLayerGraph(model);
    const size = (name: string) => graph.find((n) => n.name === name)!.receptiveField!.vertical.size;
    const jump = (name: string) => graph.find((n) => n.name === name)!.receptiveField!.vertical.jump;
    expect(size('block1_conv2')).toBe(5);
    expect(size('block2_conv2')).toBe(14);
    expect(size('block3_conv3')).toBe(40);
    expect(size('block4_conv3')).toBe(92);
    expect(size('block5_conv1')).toBe(132);
    expect(size('block5_conv2')).toBe(164);
    expect(size('block5_conv3')).toBe(196);
    expect(size('block5_pool')).toBe(212);
    expect(jump('block5_conv3')).toBe(16);
    expect(jump('block3_conv1')).toBe(4);
    expect(graph.find((n) => n.name === 'block5_conv3')!.outputShape).toEqual([14, 14, 512]);
    model.dispose();
  });

  it('handles strided same padding, even kernels and dilation', () => {
    const input = tf.input({ shape: [16, 16, 1] });
    const a = tf.layers.conv2d({ filters: 1, kernelSize: 4, strides: 2, padding: 'same', name: 'a' }).apply(input);
    const b = tf.layers.conv2d({ filters: 1, kernelSize: 3, dilationRate: 2, padding: 'same', name: 'b' }).apply(a);
    const graph = buildLayerGraph(tf.model({ inputs: input, outputs: b as tf.SymbolicTensor }));
    const fa = graph.find((n) => n.name === 'a')!.receptiveField!.vertical;
    const fb = graph.find((n) => n.name === 'b')!.receptiveField!.vertical;
    // 16 -> 8 with k=4, s=2: total padding 2, 1 before. Center of unit 0: (4-1)/2 - 1 = 0.5.
    expect(fa).toEqual({ size: 4, jump: 2, start: 0.5 });
    // Dilated 3x3 spans 5 units of jump 2: 4 + 4*2 = 12; same padding keeps the center.
    expect(fb).toEqual({ size: 12, jump: 2, start: 0.5 });
  });

  it('gives clamped input boxes', () => {
    const field = { vertical: { size: 5, jump: 2, start: 0.5 }, horizontal: { size: 5, jump: 2, start: 0.5 } };
    expect(receptiveBox(field, 0, 0, 10, 10)).toEqual([0, 0, 3, 3]);
    expect(receptiveBox(field, 2, 3, 10, 10)).toEqual([5, 3, 9, 7]);
    expect(receptiveBox(field, 4, 4, 10, 10)).toEqual([7, 7, 10, 10]);
  });
});
