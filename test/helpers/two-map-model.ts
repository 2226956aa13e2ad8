/**
 * A network small enough to compute attributions by hand: a 1x1 conv with two ReLU maps of a
 * one-channel S x S image, A_0 = relu(x - 0.5) (bright pixels) and A_1 = relu(0.5 - x) (dark
 * ones), flattened into a dense layer of two logits with given weights, so d logit_c / d A_k at
 * (i, j) is the weight W[(i S + j) 2 + k][c]. The JS functions here are the hand computation.
 */
import * as tf from '@tensorflow/tfjs';
import { VisModel } from '../../src/core/models/vis-model.js';
import { randomArray } from './random.js';

export const SIZE = 6;

/** Dense weights [S * S * 2, 2] (row-major), seeded, in [-1, 1]. */
export const denseWeights = (seed = 7) => randomArray(SIZE * SIZE * 2 * 2, seed);

/** The model: conv (1x1, relu) -> flatten -> logits. */
export function twoMapModel(weights = denseWeights()): VisModel {
  const input = tf.input({ shape: [SIZE, SIZE, 1] });
  const conv = tf.layers.conv2d({ filters: 2, kernelSize: 1, activation: 'relu', name: 'conv' });
  const flat = tf.layers.flatten({ name: 'flat' }).apply(conv.apply(input));
  const dense = tf.layers.dense({ units: 2, name: 'logits' });
  const model = tf.model({ inputs: input, outputs: dense.apply(flat) as tf.SymbolicTensor });
  conv.setWeights([tf.tensor4d([1, -1], [1, 1, 1, 2]), tf.tensor1d([-0.5, 0.5])]);
  dense.setWeights([tf.tensor2d(weights, [SIZE * SIZE * 2, 2]), tf.tensor1d([0.1, -0.2])]);
  return new VisModel(model);
}

/** A_k(i, j) for an image x (S * S values), as [k][p]. */
export function handMaps(x: ArrayLike<number>): [number[], number[]] {
  const px = Array.from(x);
  return [px.map((v) => Math.max(v - 0.5, 0)), px.map((v) => Math.max(0.5 - v, 0))];
}

/** d logit_c / d A_k at each position p, as [k][p]. */
export function handGradient(weights: ArrayLike<number>, c: number): [number[], number[]] {
  const at = (k: number) =>
    Array.from({ length: SIZE * SIZE }, (_, p) => weights[(p * 2 + k) * 2 + c]);
  return [at(0), at(1)];
}

/** logit_c of an image x. */
export function handLogit(x: ArrayLike<number>, weights: ArrayLike<number>, c: number): number {
  const maps = handMaps(x);
  const g = handGradient(weights, c);
  let sum = c === 0 ? 0.1 : -0.2;
  for (const k of [0, 1]) for (let p = 0; p < SIZE * SIZE; p++) sum += maps[k][p] * g[k][p];
  return sum;
}

/** An image in [0, 1] with no pixel at exactly 0.5 (where the ReLUs' kinks are). */
export function testImage(seed = 3): Float32Array {
  return randomArray(SIZE * SIZE, seed).map((v) => {
    const p = (v + 1) / 2;
    return Math.abs(p - 0.5) < 0.02 ? p + 0.05 : p;
  });
}
