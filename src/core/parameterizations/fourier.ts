/**
 * Lucid's Fourier parameterization with decorrelated colour (Olah et al. 2017, "Feature
 * Visualization"): the variables are a half spectrum per image and channel, scaled by
 * 1/max(f, 1/max(w, h)) times sqrt(w h) so every frequency band starts with equal energy,
 * turned into pixels by an inverse real 2-D DFT and divided by 4; for RGB the three channels
 * live in a decorrelated colour space mapped to RGB by the square root of the ImageNet colour
 * covariance; a sigmoid maps to [0, 1]. Gray models skip the colour step.
 */
import * as tf from '@tensorflow/tfjs';
import { InverseRfft2d, halfWidth, spectrumFrequencies } from './inverse-fft.js';
import type { FourierImageSpec } from '../engines/fused-step.js';
import type { ImageShape, Parameterization } from './parameterization.js';

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

/**
 * @example const p = fourierImage({ batch: 8, height: 128, width: 128, channels: 3 })
 */
export function fourierImage(shape: ImageShape, options: FourierOptions = {}): Parameterization {
  const { sd = 0.01, seed } = options;
  const { batch, height, width, channels } = shape;
  const decorrelate = (options.decorrelate ?? true) && channels === 3;
  const wf = halfWidth(width);
  const spectrumShape: [number, number, number] = [batch * channels, height, wf];
  // Inside tidy so the initial values are freed (variables survive a tidy).
  const [real, imaginary] = tf.tidy(() => [
    tf.variable(tf.randomNormal(spectrumShape, 0, sd, 'float32', seed)),
    tf.variable(
      tf.randomNormal(spectrumShape, 0, sd, 'float32', seed === undefined ? undefined : seed + 1),
    ),
  ]);
  const inverse = new InverseRfft2d(height, width);
  const frequencies = spectrumFrequencies(height, width);
  const floor = 1 / Math.max(width, height);
  const scaleValues = frequencies.map((f) => Math.sqrt(width * height) / Math.max(f, floor));
  const scale = tf.tensor3d(scaleValues, [1, height, wf]);
  const colour = tf.tidy(() => tf.tensor2d(colorDecorrelationMatrix()).transpose());
  // logit(center): the pre-sigmoid offset that maps a zero spectrum to the centre image.
  const offset = tf.tidy(() => {
    const c = tf.clipByValue(
      tf.add(tf.zeros([1, height, width, channels]), options.center ?? 0.5),
      0.02,
      0.98,
    );
    return tf.log(tf.div(c, tf.sub(1, c)));
  });
  const colourRows = decorrelate
    ? colorDecorrelationMatrix()
    : Array.from({ length: channels }, (_, i) =>
        Array.from({ length: channels }, (__, j) => (i === j ? 1 : 0)),
      );
  const spec = async (): Promise<FourierImageSpec> => {
    const planar = tf.tidy(() => tf.reshape(tf.transpose(offset, [0, 3, 1, 2]), [-1]));
    const offsetValues = (await planar.data()) as Float32Array;
    planar.dispose();
    return {
      ...shape,
      scale: Float32Array.from(scaleValues),
      colour: colourRows,
      offset: offsetValues,
    };
  };
  return {
    kind: decorrelate ? 'fourier-decorrelated' : 'fourier',
    shape,
    variables: [real, imaginary],
    fourier: { real, imaginary, spec },
    image: () =>
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
        let image = tf.div(nhwc, 4);
        if (decorrelate) {
          image = tf.reshape(tf.matMul(tf.reshape(image, [-1, 3]), colour), [
            batch,
            height,
            width,
            3,
          ]);
        }
        return tf.sigmoid(tf.add(image, offset)) as tf.Tensor4D;
      }),
    dispose: () => {
      [real, imaginary, scale, colour, offset].forEach((t) => t.dispose());
      inverse.dispose();
    },
  };
}
