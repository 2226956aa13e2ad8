/**
 * The four image regularizers of Yosinski et al. 2015 ("Understanding Neural Networks Through
 * Deep Visualization"), applied to the centred image after each gradient step, in the
 * paper's order: L2 decay, Gaussian blur every few steps, clipping of pixels with a small
 * norm, clipping of pixels with a small contribution. Each is a pure function on tensors
 * (tested on tiny hand-computed cases); `applyYosinski` runs the configured sequence.
 */
import * as tf from '@tensorflow/tfjs';
import { ConvscopeError } from '../errors.js';

export interface YosinskiSettings {
  /** L2 decay: x *= 1 - decay. */
  decay: number;
  /** Gaussian blur sigma in pixels (0: off). */
  blurRadius: number;
  /** Blur every this many steps (0: off). */
  blurEvery: number;
  /** Zero the pixels whose channel norm is below this percentile (0: off). */
  normPct: number;
  /** Zero the pixels whose |sum_c grad * x| is below this percentile (0: off). */
  contribPct: number;
}

/** L2 decay toward the mean image (zero in centred space). */
export function decay(x: tf.Tensor4D, amount: number): tf.Tensor4D {
  return tf.mul(x, 1 - amount);
}

/** A normalized 1-D Gaussian, radius ceil(3 sigma). */
export function gaussianKernel(sigma: number): Float32Array {
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const values = Float32Array.from({ length: 2 * radius + 1 }, (_, i) =>
    Math.exp(-((i - radius) ** 2) / (2 * sigma * sigma)),
  );
  const total = values.reduce((a, b) => a + b, 0);
  return values.map((v) => v / total);
}

/**
 * Gaussian blur of every channel (separable; borders are reflected so the image does not
 * darken toward the edges).
 */
export function blur(x: tf.Tensor4D, sigma: number): tf.Tensor4D {
  if (sigma <= 0) return tf.clone(x);
  const kernel = gaussianKernel(sigma);
  const radius = (kernel.length - 1) / 2;
  const channels = x.shape[3];
  return tf.tidy(() => {
    const k = tf.tensor1d(kernel);
    const vertical = tf.tile(tf.reshape(k, [kernel.length, 1, 1, 1]), [1, 1, channels, 1]);
    const horizontal = tf.tile(tf.reshape(k, [1, kernel.length, 1, 1]), [1, 1, channels, 1]);
    const [, h, w] = x.shape;
    const r = Math.min(radius, h - 1, w - 1);
    let out = tf.mirrorPad(
      x,
      [
        [0, 0],
        [r, r],
        [r, r],
        [0, 0],
      ],
      'reflect',
    );
    if (r < radius)
      out = tf.pad(out, [
        [0, 0],
        [radius - r, radius - r],
        [radius - r, radius - r],
        [0, 0],
      ]);
    out = tf.depthwiseConv2d(out, vertical as tf.Tensor4D, 1, 'valid');
    return tf.depthwiseConv2d(out, horizontal as tf.Tensor4D, 1, 'valid') as tf.Tensor4D;
  });
}

/**
 * A mask [b, h, w, 1] that is 0 where `values` [b, h, w] is among the lowest `percentile`
 * percent of its image (the floor(p/100 * h*w) smallest) and 1 elsewhere.
 */
export function percentileMask(values: tf.Tensor3D, percentile: number): tf.Tensor4D {
  const [b, h, w] = values.shape;
  const n = h * w;
  const drop = Math.floor((percentile / 100) * n);
  return tf.tidy(() => {
    if (drop <= 0) return tf.ones([b, h, w, 1]) as tf.Tensor4D;
    const flat = tf.reshape(values, [b, n]);
    // The (drop+1)-th smallest value per image is the threshold: strictly below it goes.
    const smallest = tf.neg(tf.topk(tf.neg(flat), Math.min(drop + 1, n)).values);
    const threshold = drop >= n ? tf.fill([b, 1], Infinity) : tf.slice(smallest, [0, drop], [b, 1]);
    return tf.reshape(tf.cast(tf.greaterEqual(flat, threshold), 'float32'), [
      b,
      h,
      w,
      1,
    ]) as tf.Tensor4D;
  });
}

/** Zeroes the pixels whose L2 norm across channels is below the percentile. */
export function clipSmallNorm(x: tf.Tensor4D, percentile: number): tf.Tensor4D {
  return tf.tidy(() => {
    const norms = tf.sqrt(tf.sum(tf.square(x), 3)) as tf.Tensor3D;
    return tf.mul(x, percentileMask(norms, percentile));
  });
}

/** Zeroes the pixels whose contribution |sum_c grad * x| is below the percentile. */
export function clipSmallContribution(
  x: tf.Tensor4D,
  gradient: tf.Tensor4D,
  percentile: number,
): tf.Tensor4D {
  return tf.tidy(() => {
    const contribution = tf.abs(tf.sum(tf.mul(gradient, x), 3)) as tf.Tensor3D;
    return tf.mul(x, percentileMask(contribution, percentile));
  });
}

/**
 * One operation on the centred pixel image after a step (`MaximizeParts.postStep`); returns
 * null when it is not due at this step.
 */
export interface PostStepOperation {
  name: string;
  apply(pixels: tf.Tensor4D, gradient: tf.Tensor4D, step: number): tf.Tensor4D | null;
}

/**
 * The enabled operations in the paper's order, their values checked.
 * @example yosinskiOperations({ decay: 0.3, blurRadius: 0, blurEvery: 0, normPct: 20, contribPct: 0 })
 */
export function yosinskiOperations(settings: YosinskiSettings): PostStepOperation[] {
  const { decay: amount, blurRadius, blurEvery, normPct, contribPct } = settings;
  const check = (ok: boolean, what: string, flag: string) => {
    if (!ok) throw new ConvscopeError(`${what} (Yosinski's regularizers)`, `set ${flag}`);
  };
  check(amount >= 0 && amount <= 1, `decay must be between 0 and 1, got ${amount}`, '--decay 0-1');
  check(
    blurRadius >= 0,
    `the blur radius must not be negative, got ${blurRadius}`,
    '--blur-radius',
  );
  check(blurEvery >= 0, `the blur interval must not be negative, got ${blurEvery}`, '--blur-every');
  check(
    normPct >= 0 && normPct <= 100,
    `the norm percentile must be 0-100, got ${normPct}`,
    '--norm-pct 0-100',
  );
  check(
    contribPct >= 0 && contribPct <= 100,
    `the contribution percentile must be 0-100, got ${contribPct}`,
    '--contrib-pct 0-100',
  );
  const operations: PostStepOperation[] = [];
  if (amount > 0) operations.push({ name: 'decay', apply: (x) => decay(x, amount) });
  if (blurRadius > 0 && blurEvery > 0) {
    operations.push({
      name: 'blur',
      apply: (x, _g, step) => (step % blurEvery === 0 ? blur(x, blurRadius) : null),
    });
  }
  if (normPct > 0) operations.push({ name: 'clip-norm', apply: (x) => clipSmallNorm(x, normPct) });
  if (contribPct > 0) {
    operations.push({
      name: 'clip-contribution',
      apply: (x, g) => clipSmallContribution(x, g, contribPct),
    });
  }
  return operations;
}

/** Runs `operations` in order after step `step` (1-based); `x` itself when none was due. */
export function applyPostStep(
  operations: readonly PostStepOperation[],
  x: tf.Tensor4D,
  gradient: tf.Tensor4D,
  step: number,
): tf.Tensor4D {
  return tf.tidy(() =>
    operations.reduce<tf.Tensor4D>((out, op) => op.apply(out, gradient, step) ?? out, x),
  );
}

/** Runs the enabled operations in the paper's order after step `step` (1-based). */
export function applyYosinski(
  x: tf.Tensor4D,
  gradient: tf.Tensor4D,
  settings: YosinskiSettings,
  step: number,
): tf.Tensor4D {
  return applyPostStep(yosinskiOperations(settings), x, gradient, step);
}
