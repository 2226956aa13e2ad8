/**
 * The JS MaxPoolGrad kernel on WASM against the CPU backend's stock gradient: valid and same
 * padding, overlapping and non-overlapping windows, strides 1 and 2, batch > 1, and ties (a
 * ReLU'd map full of zeros, where both must pick the first maximum of a window), and a
 * brute-force loop for valid padding. tfjs' own WASM kernel fails this (it misroutes
 * non-uniform output gradients), so the kernel is a correctness fix.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../node/backend.js';
import { randomArray } from '../../../test/helpers/random.js';
import { useFastGradients } from './register.js';

interface Case {
  shape: [number, number, number, number];
  size: number;
  stride: number;
  pad: 'valid' | 'same';
  relu?: boolean;
}

const CASES: Case[] = [
  { shape: [2, 8, 8, 3], size: 2, stride: 2, pad: 'valid' },
  { shape: [1, 7, 9, 4], size: 3, stride: 2, pad: 'same' },
  { shape: [2, 6, 5, 2], size: 3, stride: 1, pad: 'same' },
  { shape: [1, 9, 7, 3], size: 2, stride: 2, pad: 'valid', relu: true },
  { shape: [2, 5, 5, 5], size: 3, stride: 1, pad: 'valid', relu: true },
];

/** d sum(maxPool(x) * w) / dx on `backend`. */
async function gradient(backend: string, c: Case, x: Float32Array, w: Float32Array) {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const input = tf.tensor4d(x, c.shape);
    const seen = c.relu ? tf.relu(input) : input;
    const pooled = tf.maxPool(seen as tf.Tensor4D, c.size, c.stride, c.pad);
    const weights = tf.tensor(w, pooled.shape);
    pooled.dispose();
    const g = tf.grad((v) => {
      const p = tf.maxPool((c.relu ? tf.relu(v) : v) as tf.Tensor4D, c.size, c.stride, c.pad);
      return tf.sum(tf.mul(p, weights));
    })(input);
    return g.dataSync() as Float32Array;
  });
}

/** Brute force for valid padding: each output's weight goes to its window's first maximum. */
function bruteForce(c: Case, x: Float32Array, w: Float32Array): Float32Array {
  const [n, h, wd, ch] = c.shape;
  const relu = (v: number) => (c.relu ? Math.max(0, v) : v);
  const oh = Math.floor((h - c.size) / c.stride) + 1;
  const ow = Math.floor((wd - c.size) / c.stride) + 1;
  const dx = new Float32Array(x.length);
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let k = 0; k < ch; k++) {
          let best = -Infinity;
          let at = -1;
          for (let fy = 0; fy < c.size; fy++)
            for (let fx = 0; fx < c.size; fx++) {
              const i = ((b * h + oy * c.stride + fy) * wd + ox * c.stride + fx) * ch + k;
              if (relu(x[i]) > best) [best, at] = [relu(x[i]), i];
            }
          // ReLU's gradient is 0 where its input was <= 0.
          if (x[at] > 0 || !c.relu) dx[at] += w[((b * oh + oy) * ow + ox) * ch + k];
        }
  return dx;
}

describe('MaxPoolGrad on WASM (JS kernel)', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });
  afterAll(() => useFastGradients());

  for (const c of CASES) {
    const name = `${c.shape.join('x')} k${c.size} s${c.stride} ${c.pad}${c.relu ? ' with ties' : ''}`;
    it(`equals the CPU backend: ${name}`, async () => {
      const x = randomArray(
        c.shape.reduce((a, b) => a * b, 1),
        7,
      );
      const outSize = tf.tidy(
        () => tf.maxPool(tf.zeros(c.shape) as tf.Tensor4D, c.size, c.stride, c.pad).size,
      );
      const w = randomArray(outSize, 11);
      const cpu = await gradient('cpu', c, x, w);
      useFastGradients();
      const fast = await gradient('wasm', c, x, w);
      expect(Array.from(fast)).toEqual(Array.from(cpu).map((v) => expect.closeTo(v, 5)));
      if (c.pad === 'valid') {
        const brute = Array.from(bruteForce(c, x, w));
        expect(Array.from(fast)).toEqual(brute.map((v) => expect.closeTo(v, 5)));
      }
    });
  }
});
