import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { createRng } from '../optimize/rng.js';
import { transformSchedule } from './transform-schedule.js';
import { standardTransforms, standardTransformsAt, type TransformSpec } from './transforms.js';

const pixels = (specs: TransformSpec[] | null) =>
  specs!.map((t) => ('pixels' in t ? t.pixels : null));

describe('transform schedule', () => {
  it("shrinks the standard set from Lucid's pixel amounts to the size-scaled ones", () => {
    // 48 px: Lucid's 12/8/4 at the first step (3 x 48/128 > 1), 48/128 of them (5/3/2) at
    // the end.
    const schedule = transformSchedule('standard', 48, 100);
    expect(pixels(schedule.specs(1))).toEqual([12, 8, null, null, 4]);
    expect(pixels(schedule.specs(51))).toEqual([
      // factor 1 + (0.375 - 1) * 0.5 = 0.6875
      Math.round(12 * 0.6875),
      Math.round(8 * 0.6875),
      null,
      null,
      Math.round(4 * 0.6875),
    ]);
    expect(schedule.specs(101)).toEqual(standardTransforms(48));
    // Monotone: no step's pad is larger than the step before's.
    const pads = Array.from({ length: 101 }, (_, i) => pixels(schedule.specs(i + 1))[0]!);
    expect(pads.every((p, i) => i === 0 || p <= pads[i - 1])).toBe(true);
    expect(schedule.deterministic).toBe(false);
  });

  it('keeps one set at 128 px and up, and a list of specs at every step', () => {
    const big = transformSchedule('standard', 224, 10);
    expect(big.specs(1)).toEqual(big.specs(11));
    expect(standardTransformsAt(224, 0.3)).toEqual(standardTransforms(224));
    const fixed: TransformSpec[] = [{ kind: 'jitter', pixels: 2 }];
    const listed = transformSchedule(fixed, 28, 10);
    expect(listed.specs(1)).toBe(fixed);
    expect(listed.specs(10)).toBe(fixed);
    expect(transformSchedule([], 28, 10).deterministic).toBe(true);
  });

  it("starts a small image's set at 3x its end, not at Lucid's amounts", () => {
    // 28 px: ends at 28/128 (pad 3, jitter 2 and 1), starts at 3 x 28/128 = 0.656 of Lucid's.
    const schedule = transformSchedule('standard', 28, 64);
    expect(pixels(schedule.specs(1))).toEqual([8, 5, null, null, 3]);
    expect(pixels(schedule.specs(65))).toEqual([3, 2, null, null, 1]);
  });

  it("applies the step's set", () => {
    const schedule = transformSchedule(
      [
        { kind: 'pad', pixels: 3, value: 0.5 },
        { kind: 'jitter', pixels: 0 },
      ],
      28,
      4,
    );
    const image = tf.zeros([1, 28, 28, 1]) as tf.Tensor4D;
    const seen = schedule.transform(1)(image, createRng(0));
    expect(seen.shape).toEqual([1, 34, 34, 1]);
    tf.dispose([image, seen]);
  });

  it('calls a function transform at every step', () => {
    let calls = 0;
    const schedule = transformSchedule(
      {
        apply: (images) => {
          calls++;
          return tf.clone(images);
        },
      },
      28,
      4,
    );
    expect(schedule.specs(1)).toBeNull();
    const image = tf.ones([1, 4, 4, 1]) as tf.Tensor4D;
    const out = schedule.transform(3)(image, createRng(0));
    expect(calls).toBe(1);
    tf.dispose([image, out]);
  });
});
