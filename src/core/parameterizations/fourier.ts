/**
 * Lucid's Fourier parameterization (Olah et al. 2017, "Feature Visualization"): the variables
 * are a half spectrum per image and channel, scaled by 1/max(f, 1/max(w, h)) times sqrt(w h)
 * so every frequency band starts with equal energy, turned into pixels by an inverse real 2-D
 * DFT and divided by 4 (the spatial basis). The colour stage (colour-stage.ts) then maps from
 * decorrelated colour (RGB models) and through a sigmoid around the centre image.
 */
import * as tf from '@tensorflow/tfjs';
import { colourStage } from './colour-stage.js';
import { composeImage } from './compose-image.js';
import { InverseRfft2d, halfWidth, spectrumFrequencies } from './inverse-fft.js';
import type { ImageShape, Parameterization, SpatialBasis } from './parameterization.js';
import { centerOf, type ParameterizationRecord } from './parameterization-record.js';

export { colorDecorrelationMatrix } from './colour-stage.js';

export interface FourierSpec {
  kind: 'fourier';
  sd: number;
  decorrelate: boolean;
  center?: 'mean' | number;
}

export interface FourierOptions {
  /** Standard deviation of the initial spectrum (Lucid: 0.01). */
  sd?: number;
  /** Map from the decorrelated colour space (RGB models only; default true). */
  decorrelate?: boolean;
  seed?: number;
  /**
   * The image at zero spectrum (default mid grey): the data set's mean image makes the start
   * look like the data (a dark background for Fashion-MNIST), added before the sigmoid.
   */
  center?: number | tf.Tensor4D;
}

/** The spectrum and its inverse DFT: [batch, h, w, c], before colour. */
export function fourierBasis(
  shape: ImageShape,
  options: { sd?: number; seed?: number } = {},
): SpatialBasis {
  const { sd = 0.01, seed } = options;
  const { batch, height, width, channels } = shape;
  const spectrumShape: [number, number, number] = [batch * channels, height, halfWidth(width)];
  // Inside tidy so the initial values are freed (variables survive a tidy).
  const [real, imaginary] = tf.tidy(() => [
    tf.variable(tf.randomNormal(spectrumShape, 0, sd, 'float32', seed)),
    tf.variable(
      tf.randomNormal(spectrumShape, 0, sd, 'float32', seed === undefined ? undefined : seed + 1),
    ),
  ]);
  const inverse = new InverseRfft2d(height, width);
  const floor = 1 / Math.max(width, height);
  const scaleValues = Float32Array.from(
    spectrumFrequencies(height, width).map((f) => Math.sqrt(width * height) / Math.max(f, floor)),
  );
  const scale = tf.tensor3d(scaleValues, [1, height, halfWidth(width)]);
  return {
    kind: 'fourier',
    variables: [real, imaginary],
    fourier: { real, imaginary, scale: scaleValues },
    spatial: () =>
      tf.tidy(() => {
        const planes = inverse.apply(
          tf.mul(real, scale) as tf.Tensor3D,
          tf.mul(imaginary, scale) as tf.Tensor3D,
        );
        // [batch * channels, h, w] -> [batch, h, w, channels]
        const nhwc = tf.transpose(
          tf.reshape(planes, [batch, channels, height, width]),
          [0, 2, 3, 1],
        );
        return tf.div(nhwc, 4) as tf.Tensor4D;
      }),
    dispose: () => {
      [real, imaginary, scale].forEach((t) => t.dispose());
      inverse.dispose();
    },
  };
}

/**
 * @example const p = fourierImage({ batch: 8, height: 128, width: 128, channels: 3 })
 */
export function fourierImage(shape: ImageShape, options: FourierOptions = {}): Parameterization {
  const colour = colourStage([1, shape.height, shape.width, shape.channels], {
    decorrelate: options.decorrelate ?? true,
    range: 'sigmoid',
    center: options.center,
  });
  return composeImage(shape, fourierBasis(shape, options), colour, {
    kind: colour.decorrelated ? 'fourier-decorrelated' : 'fourier',
  });
}

export const fourierRecord: ParameterizationRecord<FourierSpec> = {
  kind: 'fourier',
  choices: [
    { name: 'fourier', description: "Lucid's 1/f spectrum, decorrelated colour, sigmoid" },
    { name: 'fourier-rgb', description: '1/f spectrum in plain RGB, sigmoid' },
  ],
  choiceOf: (spec) => (spec.decorrelate ? 'fourier' : 'fourier-rgb'),
  specFor: (choice, current) => ({
    kind: 'fourier',
    sd: current.sd,
    decorrelate: choice === 'fourier',
  }),
  build: (spec, context) =>
    fourierImage(context.shape, {
      sd: spec.sd,
      decorrelate: spec.decorrelate,
      seed: context.seed,
      center: centerOf(spec, context),
    }),
};
