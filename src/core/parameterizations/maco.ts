/**
 * MACO, magnitude-constrained optimization (Fel et al., "Unlocking Feature Visualization for
 * Deeper Networks with MAgnitude Constrained Optimization", NeurIPS 2023): the variables are
 * only the phase of each image's Fourier spectrum; its magnitude is fixed to that of natural
 * images (`MacoSpectrum`), so the optimizer cannot pour energy into high frequencies. As in
 * Xplique's `maco_image_parametrization`: the phase is standardized, the spectrum
 * magnitude * e^(i phase) goes through an inverse real 2-D DFT and the image is standardized
 * (the spatial basis); the colour stage maps from the decorrelated colour space to RGB and
 * through a sigmoid to [0, 1] (Xplique then scales to the model's value range; here the model
 * adapter does that).
 *
 * The transparency map (Xplique's `transparency`): |d objective / d image| summed over the
 * steps, which shows the pixels the objective used.
 */
import * as tf from '@tensorflow/tfjs';
import { colourStage } from './colour-stage.js';
import { composeImage } from './compose-image.js';
import { InverseRfft2d, halfWidth } from './inverse-fft.js';
import { expandSpectrum, powerLawSpectrum, type MacoSpectrum } from './maco-spectrum.js';
import type { ImageShape, Parameterization, SpatialBasis } from './parameterization.js';
import type { ParameterizationRecord } from './parameterization-record.js';

/** Phase only under a fixed magnitude; no spectrum: the power law 1/f. */
export interface MacoSpec {
  kind: 'maco';
  sd: number;
  spectrum?: MacoSpectrum;
}

export interface MacoOptions {
  spectrum: MacoSpectrum;
  /** Standard deviation of the initial phase (Xplique: 1). */
  sd?: number;
  seed?: number;
}

export interface MacoParameterization extends Parameterization {
  /** The fixed magnitudes, [batch * channels, h, w/2+1]. */
  readonly magnitude: tf.Tensor3D;
  /** The standardized image before the colour map and sigmoid, [batch, h, w, channels]. */
  spatial(): tf.Tensor4D;
}

/** Per-image standardization of [batch, ...] over all other axes. */
function standardize(t: tf.Tensor, batch: number): tf.Tensor {
  const flat = tf.reshape(t, [batch, -1]);
  const { mean, variance } = tf.moments(flat, 1, true);
  return tf.reshape(tf.div(tf.sub(flat, mean), tf.add(tf.sqrt(variance), 1e-5)), t.shape);
}

/** The phase variable under its fixed magnitude, standardized: [batch, h, w, c], before colour. */
export function macoBasis(
  shape: ImageShape,
  options: MacoOptions,
): SpatialBasis & { magnitude: tf.Tensor3D } {
  const { sd = 1, seed } = options;
  const { batch, height, width, channels } = shape;
  const wf = halfWidth(width);
  const phase = tf.tidy(() =>
    tf.variable(tf.randomNormal([batch * channels, height, wf], 0, sd, 'float32', seed)),
  );
  const magnitude = tf.tidy(() => {
    const planes = Array.from({ length: channels }, (_, c) =>
      expandSpectrum(options.spectrum, c, height, width),
    );
    const one = tf.tensor3d(Float32Array.from(planes.flatMap((p) => Array.from(p))), [
      channels,
      height,
      wf,
    ]);
    return tf.tile(one, [batch, 1, 1]) as tf.Tensor3D;
  });
  // Columns kx = 0 and (even w) kx = w/2 must be Hermitian along y for the inverse real DFT
  // to keep their magnitudes: there the phase is made odd, (phi(y) - phi(-y)) / 2.
  const reversed = tf.tensor1d(
    Array.from({ length: height }, (_, y) => (height - y) % height),
    'int32',
  );
  const edge = tf.tensor3d(
    Array.from({ length: wf }, (_, k) => (k === 0 || (width % 2 === 0 && k === wf - 1) ? 1 : 0)),
    [1, 1, wf],
  );
  const inverse = new InverseRfft2d(height, width);
  return {
    kind: 'maco',
    variables: [phase],
    magnitude,
    spatial: () =>
      tf.tidy(() => {
        const standard = standardize(phase, batch);
        const odd = tf.mul(tf.sub(standard, tf.gather(standard, reversed, 1)), 0.5);
        const used = tf.add(tf.mul(standard, tf.sub(1, edge)), tf.mul(odd, edge));
        const planes = inverse.apply(
          tf.mul(magnitude, tf.cos(used)) as tf.Tensor3D,
          tf.mul(magnitude, tf.sin(used)) as tf.Tensor3D,
        );
        const nhwc = tf.transpose(
          tf.reshape(planes, [batch, channels, height, width]),
          [0, 2, 3, 1],
        );
        return standardize(nhwc, batch) as tf.Tensor4D;
      }),
    dispose: () => {
      [phase, magnitude, reversed, edge].forEach((t) => t.dispose());
      inverse.dispose();
    },
  };
}

/**
 * @example const p = macoImage({ batch: 4, height: 128, width: 128, channels: 3 }, { spectrum })
 */
export function macoImage(shape: ImageShape, options: MacoOptions): MacoParameterization {
  const basis = macoBasis(shape, options);
  const colour = colourStage([1, shape.height, shape.width, shape.channels], {
    decorrelate: true,
    range: 'sigmoid',
  });
  const image = composeImage(shape, basis, colour, { kind: 'maco', transparency: true });
  return { ...image, magnitude: basis.magnitude, spatial: basis.spatial };
}

export const macoRecord: ParameterizationRecord<MacoSpec> = {
  kind: 'maco',
  choices: [
    { name: 'maco', description: 'phase only under a natural-image magnitude (Fel et al. 2023)' },
  ],
  choiceOf: () => 'maco',
  // Phase standardized every step: Xplique's N(0, 1) start, whatever the other sd was.
  specFor: (_choice, current) =>
    current.kind === 'maco' ? (current as MacoSpec) : { kind: 'maco', sd: 1 },
  build: (spec, { shape, seed }) =>
    macoImage(shape, {
      spectrum: spec.spectrum ?? powerLawSpectrum(shape.channels),
      sd: spec.sd,
      seed,
    }),
};
