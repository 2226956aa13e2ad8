/**
 * What a model expects as input, and the mapping to it from the space every convscope method
 * works in: plain RGB (or gray) images with values in [0, 1]. Preprocessing lives here, inside
 * the model adapter, so no method can forget it (feeding raw RGB to a caffe-mode VGG is the
 * classic bug of the TF.js VGG example).
 *
 * - `caffe`: RGB in 0..255 -> BGR -> minus the ImageNet channel means (Keras VGG16/VGG19).
 * - `torch`: [0, 1] -> minus ImageNet mean, over ImageNet std, per RGB channel.
 * - `tf`: [0, 1] -> [-1, 1] (Inception, MobileNet).
 * - `none`: [0, 1] -> [lo, hi] linearly (`range`, default [0, 1]).
 */
import * as tf from '@tensorflow/tfjs';
import { ConvscopeError } from '../errors.js';

export const PREPROCESS_MODES = ['caffe', 'torch', 'tf', 'none'] as const;
export type PreprocessMode = (typeof PREPROCESS_MODES)[number];

export interface InputSpec {
  height: number;
  width: number;
  /** 1 (gray) or 3 (RGB). */
  channels: number;
  /** Range the model's raw input values span when `preprocess` is `none`. */
  range: [number, number];
  preprocess: PreprocessMode;
}

const CAFFE_BGR_MEANS = [103.939, 116.779, 123.68];
const TORCH_RGB_MEANS = [0.485, 0.456, 0.406];

/**
 * The data set's mean pixel in [0, 1] RGB (or gray) as far as the convention tells: the
 * ImageNet means for caffe and torch preprocessing, mid grey otherwise.
 */
export function meanPixel(spec: InputSpec): number[] {
  if (spec.preprocess === 'caffe') return [...CAFFE_BGR_MEANS].reverse().map((m) => m / 255);
  if (spec.preprocess === 'torch') return TORCH_RGB_MEANS;
  return new Array<number>(spec.channels).fill(0.5);
}
const TORCH_MEAN = [0.485, 0.456, 0.406];
const TORCH_STD = [0.229, 0.224, 0.225];

/** Checks a spec and returns it; throws a ConvscopeError naming the problem. */
export function validateInputSpec(spec: InputSpec): InputSpec {
  if (spec.channels !== 1 && spec.channels !== 3) {
    throw new ConvscopeError(
      `the model takes ${spec.channels}-channel input; convscope supports gray (1) and RGB (3) models`,
    );
  }
  if (!PREPROCESS_MODES.includes(spec.preprocess)) {
    throw new ConvscopeError(`unknown preprocessing '${spec.preprocess}'`, `use one of: ${PREPROCESS_MODES.join(', ')}`);
  }
  if (spec.preprocess !== 'none' && spec.preprocess !== 'tf' && spec.channels !== 3) {
    throw new ConvscopeError(`--preprocess ${spec.preprocess} needs an RGB model; this one has 1 channel`);
  }
  const [lo, hi] = spec.range;
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || lo >= hi) {
    throw new ConvscopeError(`invalid input range ${lo},${hi}`, 'give it as lo,hi with lo < hi, e.g. --input-range 0,255');
  }
  return spec;
}

/** Parses `--input-range lo,hi`. */
export function parseInputRange(text: string): [number, number] {
  const parts = text.split(',').map((p) => Number(p.trim()));
  if (parts.length !== 2 || parts.some((p) => !Number.isFinite(p)) || parts[0] >= parts[1]) {
    throw new ConvscopeError(`invalid --input-range '${text}'`, 'give it as lo,hi with lo < hi, e.g. 0,255 or -1,1');
  }
  return [parts[0], parts[1]];
}

/** Maps images in [0, 1] (NHWC, RGB or gray) to the values the model expects. */
export function toModelInput(images: tf.Tensor4D, spec: InputSpec): tf.Tensor4D {
  return tf.tidy(() => {
    switch (spec.preprocess) {
      case 'caffe': {
        const bgr = tf.reverse(tf.mul(images, 255), 3);
        return tf.sub(bgr, tf.tensor1d(CAFFE_BGR_MEANS)) as tf.Tensor4D;
      }
      case 'torch':
        return tf.div(tf.sub(images, tf.tensor1d(TORCH_MEAN)), tf.tensor1d(TORCH_STD)) as tf.Tensor4D;
      case 'tf':
        return tf.sub(tf.mul(images, 2), 1) as tf.Tensor4D;
      case 'none': {
        const [lo, hi] = spec.range;
        if (lo === 0 && hi === 1) return tf.clone(images);
        return tf.add(tf.mul(images, hi - lo), lo) as tf.Tensor4D;
      }
    }
  });
}

/**
 * `toModelInput` as an affine map of each pixel's channels: input = matrix · pixel + bias
 * (rows: model channels), for engines that run the image side themselves.
 */
export function preprocessAffine(spec: InputSpec): { matrix: number[][]; bias: number[] } {
  const c = spec.channels;
  const diagonal = (scales: number[]) =>
    scales.map((s, i) => scales.map((_, j) => (i === j ? s : 0)));
  switch (spec.preprocess) {
    case 'caffe':
      // BGR: model channel i reads RGB channel 2 - i.
      return {
        matrix: [0, 1, 2].map((i) => [0, 1, 2].map((j) => (j === 2 - i ? 255 : 0))),
        bias: CAFFE_BGR_MEANS.map((m) => -m),
      };
    case 'torch':
      return {
        matrix: diagonal(TORCH_STD.map((s) => 1 / s)),
        bias: TORCH_MEAN.map((m, i) => -m / TORCH_STD[i]),
      };
    case 'tf':
      return { matrix: diagonal(new Array<number>(c).fill(2)), bias: new Array<number>(c).fill(-1) };
    case 'none': {
      const [lo, hi] = spec.range;
      return {
        matrix: diagonal(new Array<number>(c).fill(hi - lo)),
        bias: new Array<number>(c).fill(lo),
      };
    }
  }
}
