/**
 * The colour stage of a parameterization (Lucid's `to_valid_rgb`): an unbounded image from a
 * spatial basis becomes values in [0, 1]. For RGB, optionally through decorrelated colour (the
 * basis works in a space whose axes are the principal components of ImageNet's colours,
 * mapped to RGB by the square root of their covariance), then either a sigmoid around a centre
 * image (`sigmoid`: Lucid; the centre is logit-shifted so a zero basis shows it) or a clip of
 * centre + value (`clip`: plain pixels in Yosinski et al.'s centred space). Gray images skip
 * the colour map.
 */
import * as tf from '@tensorflow/tfjs';

/** Square root of the ImageNet colour correlation (Lucid), rows = RGB. */
const COLOR_CORRELATION_SQRT = [
  [0.26, 0.09, 0.02],
  [0.27, 0.0, -0.05],
  [0.27, -0.09, 0.03],
];

/** The colour matrix divided by its largest column norm. */
export function colorDecorrelationMatrix(): number[][] {
  const columnNorms = [0, 1, 2].map((j) =>
    Math.hypot(...COLOR_CORRELATION_SQRT.map((row) => row[j])),
  );
  const max = Math.max(...columnNorms);
  return COLOR_CORRELATION_SQRT.map((row) => row.map((v) => v / max));
}

export type ColourRange = 'sigmoid' | 'clip';

export interface ColourStageOptions {
  /** Map from the decorrelated colour space (RGB only; ignored for other channel counts). */
  decorrelate: boolean;
  range: ColourRange;
  /** What a zero basis shows: a grey level or an image [1, h, w, c] (default mid grey). */
  center?: number | tf.Tensor4D;
}

export interface ColourStage {
  readonly decorrelated: boolean;
  readonly range: ColourRange;
  /** d image / d basis at the centre (sigmoid: 1/4): a basis scales its starting noise by it. */
  readonly gain: number;
  /** [batch, h, w, c] unbounded -> [0, 1]; differentiable. */
  apply(spatial: tf.Tensor4D): tf.Tensor4D;
  /** The basis value that shows `image` (values in [0, 1]), for bases that are their pixels. */
  invert(image: tf.Tensor4D): tf.Tensor4D;
  /** `clip` without colour map: keeps a pixel variable inside [0, 1] after a step. */
  project?(pixels: tf.Variable): void;
  /** The constants a fused engine needs (`sigmoid` only): colour rows, planar offset. */
  fused(): Promise<{ colour: number[][]; offset: Float32Array }>;
  dispose(): void;
}

/** The inverse of a 3x3 matrix (adjugate / determinant). */
function invert3(m: number[][]): number[][] {
  const [[a, b, c], [d, e, f], [g, h, i]] = m;
  const det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  return [
    [e * i - f * h, c * h - b * i, b * f - c * e],
    [f * g - d * i, a * i - c * g, c * d - a * f],
    [d * h - e * g, b * g - a * h, a * e - b * d],
  ].map((row) => row.map((v) => v / det));
}

const identityRows = (n: number): number[][] =>
  Array.from({ length: n }, (_, i) => Array.from({ length: n }, (__, j) => (i === j ? 1 : 0)));

/**
 * @example const colour = colourStage([1, 64, 64, 3], { decorrelate: true, range: 'sigmoid' })
 */
export function colourStage(
  shape: readonly [number, number, number, number] | number[],
  options: ColourStageOptions,
): ColourStage {
  const [, height, width, channels] = shape;
  const decorrelated = options.decorrelate && channels === 3;
  const center = options.center ?? 0.5;
  const rows = decorrelated ? colorDecorrelationMatrix() : identityRows(channels);
  const colour = tf.tidy(() => tf.tensor2d(rows).transpose());
  // Starting from an image needs the way back: rgb = x C, so x = rgb C^-1.
  const inverse = decorrelated ? tf.tidy(() => tf.tensor2d(invert3(rows)).transpose()) : null;
  // logit(center): the pre-sigmoid offset that maps a zero basis to the centre image.
  const offset =
    options.range === 'sigmoid'
      ? tf.tidy(() => {
          const c = tf.clipByValue(
            tf.add(tf.zeros([1, height, width, channels]), center),
            0.02,
            0.98,
          );
          return tf.log(tf.div(c, tf.sub(1, c)));
        })
      : null;
  // Each pixel's colour times a 3x3 matrix (decorrelated RGB only; otherwise the identity).
  const mapColour = (x: tf.Tensor4D, matrix: tf.Tensor | null): tf.Tensor4D =>
    matrix ? (tf.reshape(tf.matMul(tf.reshape(x, [-1, 3]), matrix), x.shape) as tf.Tensor4D) : x;
  const toRgb = (x: tf.Tensor4D) => mapColour(x, decorrelated ? colour : null);
  const fromRgb = (x: tf.Tensor4D) => mapColour(x, inverse);
  return {
    decorrelated,
    range: options.range,
    gain: options.range === 'sigmoid' ? 0.25 : 1,
    apply: (spatial) =>
      tf.tidy(() =>
        offset
          ? (tf.sigmoid(tf.add(toRgb(spatial), offset)) as tf.Tensor4D)
          : (tf.clipByValue(tf.add(toRgb(spatial), center), 0, 1) as tf.Tensor4D),
      ),
    invert: (image) =>
      tf.tidy(() => {
        if (!offset) return fromRgb(tf.sub(image, center) as tf.Tensor4D);
        const clipped = tf.clipByValue(image, 1e-3, 1 - 1e-3);
        return fromRgb(tf.sub(tf.log(tf.div(clipped, tf.sub(1, clipped))), offset) as tf.Tensor4D);
      }),
    project:
      !offset && !decorrelated
        ? (pixels) =>
            pixels.assign(
              tf.tidy(() => tf.minimum(tf.maximum(pixels, tf.neg(center)), tf.sub(1, center))),
            )
        : undefined,
    fused: async () => {
      if (!offset) throw new Error('a fused engine runs only the sigmoid colour stage');
      const planar = tf.tidy(() => tf.reshape(tf.transpose(offset, [0, 3, 1, 2]), [-1]));
      const values = (await planar.data()) as Float32Array;
      planar.dispose();
      return { colour: rows, offset: values };
    },
    dispose: () => {
      colour.dispose();
      inverse?.dispose();
      offset?.dispose();
    },
  };
}
