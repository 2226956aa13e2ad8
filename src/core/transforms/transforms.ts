/**
 * Transforms: random, differentiable changes applied to the copy of the image that the model
 * sees at each step (never to the image itself), so the optimization must find a pattern
 * that survives small shifts, scales and rotations ("transformation robustness", Olah et al.
 * 2017). Each is a function of the image and a seeded generator; `compose` chains them.
 * Transforms are also data (`TransformSpec`) so presets and manifests can name them.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../optimize/rng.js';
import { resize, rotate } from './affine-sample.js';
import { randomCrop, randomNoise } from './maco-transforms.js';

export type Transform = (image: tf.Tensor4D, rng: Rng) => tf.Tensor4D;

export type TransformSpec =
  | { kind: 'pad'; pixels: number; value?: number }
  | { kind: 'jitter'; pixels: number }
  | { kind: 'scale'; factors: number[] }
  | { kind: 'rotate'; degrees: number[] }
  /** MACO's crops: side fraction ~ N(mean, sd) clipped to [min, 1], centre 0.5 + N(0, 0.15). */
  | { kind: 'crop'; mean: number; sd: number; min: number }
  /** Additive noise N(0, sd) + U(-sd/2, sd/2) (MACO, Xplique). */
  | { kind: 'noise'; sd: number };

/** Pads every side with a constant (Lucid: 12 px of 0.5). */
export function pad(pixels: number, value = 0.5): Transform {
  return (image) =>
    tf.pad(
      image,
      [
        [0, 0],
        [pixels, pixels],
        [pixels, pixels],
        [0, 0],
      ],
      value,
    ) as tf.Tensor4D;
}

/** Crops `pixels` rows and columns away at a random offset (a random shift of 0..pixels). */
export function jitter(pixels: number): Transform {
  return (image, rng) => {
    const [, h, w] = image.shape;
    const [dy, dx] = [rng.int(pixels + 1), rng.int(pixels + 1)];
    return tf.slice(image, [0, dy, dx, 0], [-1, h - pixels, w - pixels, -1]);
  };
}

/** Resizes by one of `factors` (bilinear). */
export function randomScale(factors: number[]): Transform {
  return (image, rng) => {
    const factor = rng.pick(factors);
    const [, h, w] = image.shape;
    const size: [number, number] = [
      Math.max(1, Math.round(h * factor)),
      Math.max(1, Math.round(w * factor)),
    ];
    if (size[0] === h && size[1] === w) return tf.clone(image);
    return resize(image, size);
  };
}

/** Rotates by one of `degrees` about the center, filling with mid grey. */
export function randomRotate(degrees: number[]): Transform {
  return (image, rng) => rotate(image, rng.pick(degrees));
}

/** Applies transforms in order. */
export function compose(...transforms: Transform[]): Transform {
  return (image, rng) =>
    tf.tidy(() => transforms.reduce((current, transform) => transform(current, rng), image));
}

/** Builds a transform from its data record. */
export function fromSpec(spec: TransformSpec): Transform {
  switch (spec.kind) {
    case 'pad':
      return pad(spec.pixels, spec.value);
    case 'jitter':
      return jitter(spec.pixels);
    case 'scale':
      return randomScale(spec.factors);
    case 'rotate':
      return randomRotate(spec.degrees);
    case 'crop':
      return randomCrop(spec.mean, spec.sd, spec.min);
    case 'noise':
      return randomNoise(spec.sd);
  }
}

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

/**
 * Lucid's standard transforms: pad 12 (0.5), jitter 8, scale in {1 + (i - 5) / 50}, rotate
 * -10..10 degrees, jitter 4. The pixel amounts are Lucid's for 128-224 px images and shrink
 * in proportion below 128 px (a 12 px pad would swamp a 28 px image): 28 px gets pad 3,
 * jitter 2 and jitter 1.
 */
export function standardTransforms(size: number): TransformSpec[] {
  return standardSet(Math.min(1, size / 128));
}

/** How much larger the shrinking standard set starts than it ends (at most Lucid's). */
export const START_TIMES_END = 3;

/**
 * The standard transforms at a point of a run (`progress` 0 at the first step, 1 at the end):
 * large views first, shrinking linearly to `standardTransforms(size)`'s by the end. They start
 * at Lucid's pixel amounts, or at 3x the end's if that is less (Lucid's 12 px pad would
 * swamp a 28 px image); the set stays the same at 128 px and above. Large views early keep a
 * deep unit from settling in a weak optimum, small ones late let a small image's fine pattern
 * settle (issue 16, BENCHMARKS.md: a photo CNN's conv-6 unit from 0.81x Lucid's objective to
 * 1.10x, no unit of three models below Lucid's by more than the seeds' spread).
 */
export function standardTransformsAt(size: number, progress: number): TransformSpec[] {
  const end = Math.min(1, size / 128);
  const start = Math.min(1, START_TIMES_END * end);
  const t = Math.min(1, Math.max(0, progress));
  return standardSet(start + (end - start) * t);
}

/** Lucid's set with its pixel amounts times `factor` (at least 1 px each). */
function standardSet(factor: number): TransformSpec[] {
  const px = (n: number) => Math.max(1, Math.round(n * factor));
  return [
    { kind: 'pad', pixels: px(12), value: 0.5 },
    { kind: 'jitter', pixels: px(8) },
    { kind: 'scale', factors: range(0, 10).map((i) => 1 + (i - 5) / 50) },
    { kind: 'rotate', degrees: range(-10, 10) },
    { kind: 'jitter', pixels: px(4) },
  ];
}
