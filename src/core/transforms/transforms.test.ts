import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../node/backend.js';
import { useFastGradients } from '../kernel-patches/register.js';
import { createRng } from '../optimize/rng.js';
import { rotate } from './affine-sample.js';
import { compose, jitter, pad, randomScale, standardTransforms } from './transforms.js';

beforeAll(async () => {
  await initBackend('wasm');
  useFastGradients();
});
afterAll(async () => {
  await tf.setBackend('wasm');
});

const ramp = (h: number, w: number, c = 1) =>
  tf.tensor4d(
    Array.from({ length: h * w * c }, (_, i) => i),
    [1, h, w, c],
  );

describe('transforms', () => {
  it('pad surrounds the image with the value', () => {
    const out = pad(1, 0.5)(ramp(1, 2), createRng(0));
    expect(out.shape).toEqual([1, 3, 4, 1]);
    expect(Array.from(out.dataSync())).toEqual([
      0.5, 0.5, 0.5, 0.5, 0.5, 0, 1, 0.5, 0.5, 0.5, 0.5, 0.5,
    ]);
  });

  it('jitter crops at a seeded offset of 0..pixels', () => {
    const x = ramp(5, 5);
    const offsets = new Set<number>();
    const rng = createRng(1);
    for (let i = 0; i < 40; i++) {
      const out = jitter(2)(x, rng);
      expect(out.shape).toEqual([1, 3, 3, 1]);
      const first = out.dataSync()[0];
      offsets.add(first);
      expect([0, 1, 2, 5, 6, 7, 10, 11, 12]).toContain(first);
    }
    expect(offsets.size).toBe(9);
    const again = jitter(2)(x, createRng(1)).dataSync();
    expect(Array.from(again)).toEqual(Array.from(jitter(2)(x, createRng(1)).dataSync()));
  });

  it('rotate by 90 degrees is an exact quarter turn; 0 is the identity', () => {
    const x = ramp(5, 5, 2);
    const turned = (rotate(x, 90).arraySync() as number[][][][])[0];
    const source = (x.arraySync() as number[][][][])[0];
    // Counter-clockwise: output (y, x) comes from input (x', y') = rotated coordinates.
    for (let y = 0; y < 5; y++) {
      for (let xx = 0; xx < 5; xx++) {
        expect(turned[y][xx][1]).toBeCloseTo(source[xx][4 - y][1], 4);
      }
    }
    expect(Array.from(rotate(x, 0).dataSync())).toEqual(Array.from(x.dataSync()));
  });

  it("rotate's gradient on wasm (our segment-sum kernel) equals the cpu backend's", async () => {
    const values = Array.from({ length: 2 * 7 * 6 * 3 }, (_, i) => Math.sin(i));
    const weights = Array.from({ length: 2 * 7 * 6 * 3 }, (_, i) => Math.cos(i * 0.7));
    const gradient = () =>
      tf
        .grad((x: tf.Tensor) =>
          tf.sum(tf.mul(rotate(x as tf.Tensor4D, 17, 0.3), tf.tensor4d(weights, [2, 7, 6, 3]))),
        )(tf.tensor4d(values, [2, 7, 6, 3]))
        .arraySync();
    const wasm = gradient();
    await tf.setBackend('cpu');
    const cpu = gradient();
    await tf.setBackend('wasm');
    expect((wasm as number[][][][]).flat(3).map((v) => Number(v.toFixed(4)))).toEqual(
      (cpu as number[][][][]).flat(3).map((v) => Number(v.toFixed(4))),
    );
  });

  it('scale resizes by a picked factor and compose chains', () => {
    const out = compose(pad(2), randomScale([0.5]))(ramp(4, 4), createRng(0));
    expect(out.shape).toEqual([1, 4, 4, 1]);
  });

  it("keeps Lucid's standard values at 128 px and up, scaled down for small images", () => {
    const big = standardTransforms(224);
    expect(big.map((t) => ('pixels' in t ? t.pixels : null))).toEqual([12, 8, null, null, 4]);
    const scale = big[2] as { factors: number[] };
    expect(scale.factors[0]).toBeCloseTo(0.9, 10);
    expect(scale.factors[10]).toBeCloseTo(1.1, 10);
    expect((big[3] as { degrees: number[] }).degrees).toHaveLength(21);
    expect(standardTransforms(28).map((t) => ('pixels' in t ? t.pixels : null))).toEqual([
      3,
      2,
      null,
      null,
      1,
    ]);
  });
});
