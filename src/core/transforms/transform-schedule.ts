/**
 * Which transforms a step of `maximize` uses. Given as data, a set may change over the run:
 * 'standard' shrinks from Lucid's pixel amounts to the image-size-scaled ones
 * (`standardTransformsAt`); a list of specs is the same at every step. A function (not data)
 * is the same at every step and cannot be fused by an engine.
 */
import type { Rng } from '../optimize/rng.js';
import type * as tf from '@tensorflow/tfjs';
import {
  compose,
  fromSpec,
  standardTransformsAt,
  type Transform,
  type TransformSpec,
} from './transforms.js';

/** A transform given as a function (not data: engines cannot fuse it). */
export interface TransformFunction {
  apply(images: tf.Tensor4D, rng: Rng): tf.Tensor4D;
}

/** `maximize`'s transform part: data ('standard': the shrinking standard set) or a function. */
export type TransformPart = TransformSpec[] | 'standard' | TransformFunction;

export interface TransformSchedule {
  /** Step `step`'s transforms as data (1..steps; steps + 1: the end's); null for a function. */
  specs(step: number): TransformSpec[] | null;
  /** Step `step`'s transform (the same numbering). */
  transform(step: number): Transform;
  /** No transform at any step: the network sees the image itself. */
  deterministic: boolean;
}

export function transformSchedule(
  part: TransformPart,
  side: number,
  steps: number,
): TransformSchedule {
  if (typeof part === 'object' && !Array.isArray(part)) {
    const transform: Transform = (image, rng) => part.apply(image, rng);
    return { specs: () => null, transform: () => transform, deterministic: false };
  }
  const specs =
    part === 'standard'
      ? (step: number) => standardTransformsAt(side, (step - 1) / Math.max(1, steps))
      : () => part;
  // A few distinct sets over a run (the pixel amounts are whole): composed once each.
  const composed = new Map<string, Transform>();
  return {
    specs,
    transform: (step) => {
      const set = specs(step);
      const key = JSON.stringify(set);
      let transform = composed.get(key);
      if (!transform) {
        transform = compose(...set.map(fromSpec));
        composed.set(key, transform);
      }
      return transform;
    },
    deterministic: part !== 'standard' && part.length === 0,
  };
}
