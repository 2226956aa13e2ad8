/**
 * A parameterization is a spatial basis followed by a colour stage (Lucid splits them the same
 * way: `fft_image`/`pixel_image`, then `to_valid_rgb`). Composing here gives every basis every
 * colour stage (decorrelated pixels, clipped Fourier images), and the capabilities the loop
 * and engines look for come from the parts: Yosinski's pixel variable from an identity basis
 * with a plain clip, the fused engine's Fourier constants from a spectrum with a sigmoid, and
 * MACO's transparency map from any image.
 */
import * as tf from '@tensorflow/tfjs';
import type { ColourStage } from './colour-stage.js';
import type { ImageShape, Parameterization, SpatialBasis } from './parameterization.js';

export interface ComposeOptions {
  /** The kind's name in messages and records (default: the basis kind). */
  kind?: string;
  /** Record |d objective / d image| over the steps (MACO's transparency map). */
  transparency?: boolean;
}

/** Identity whose gradient adds |d objective / d image| to `sum`. */
function gradientRecorder(sum: tf.Variable): (x: tf.Tensor) => tf.Tensor {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: tf.clone(args[0] as tf.Tensor),
    gradFunc: (dy: tf.Tensor) => {
      sum.assign(tf.add(sum, tf.abs(dy)));
      return [dy];
    },
  })) as (x: tf.Tensor) => tf.Tensor;
}

/**
 * @example composeImage(fourierBasis(shape, { seed: 1 }), colourStage(dims, { decorrelate: true, range: 'sigmoid' }))
 */
export function composeImage(
  shape: ImageShape,
  basis: SpatialBasis,
  colour: ColourStage,
  options: ComposeOptions = {},
): Parameterization {
  const { batch, height, width, channels } = shape;
  const summed = options.transparency
    ? tf.variable(tf.zeros([batch, height, width, channels]), false)
    : null;
  const record = summed ? gradientRecorder(summed) : null;
  const plainPixels = basis.identity && colour.project ? basis.identity : undefined;
  const spectrum = basis.fourier;
  return {
    kind: options.kind ?? basis.kind,
    shape,
    variables: basis.variables,
    takesInit: basis.identity !== undefined,
    pixels: plainPixels,
    fourier:
      spectrum && colour.range === 'sigmoid'
        ? {
            real: spectrum.real,
            imaginary: spectrum.imaginary,
            spec: async () => ({ ...shape, scale: spectrum.scale, ...(await colour.fused()) }),
          }
        : undefined,
    image: () =>
      tf.tidy(() => {
        const image = colour.apply(basis.spatial());
        return record ? (record(image) as tf.Tensor4D) : image;
      }),
    transparency: summed ? () => tf.clone(summed) as tf.Tensor4D : undefined,
    project: plainPixels ? () => colour.project!(plainPixels) : undefined,
    dispose: () => {
      basis.dispose();
      colour.dispose();
      summed?.dispose();
    },
  };
}
