/**
 * The pixel parameterization: one variable per pixel and channel (the spatial basis is the
 * identity). With the `sigmoid` colour stage the variable is unbounded (Lucid's pixel image);
 * with `clip` (`linear`) it is the image itself, centred on mid grey or the data set's mean
 * (image = pixels + center, kept in [0, 1]), the space where Yosinski et al.'s decay, blur and
 * clipping operate (their mean-subtracted image, scaled to [0, 1]). `decorrelate` puts the
 * pixels in Lucid's decorrelated colour space (RGB, sigmoid). Any of them can start from a given
 * image (DeepDream, caricatures, a unit's best patch) instead of noise.
 */
import * as tf from '@tensorflow/tfjs';
import { colourStage, type ColourStage } from './colour-stage.js';
import { composeImage } from './compose-image.js';
import type { ImageShape, Parameterization, SpatialBasis } from './parameterization.js';
import { centerOf, type ParameterizationRecord } from './parameterization-record.js';

export interface PixelSpec {
  kind: 'pixel';
  mode: 'sigmoid' | 'linear';
  sd: number;
  /** What the linear mode is centred on: the model's mean image, or a grey level. */
  center?: 'mean' | number;
  /** Decorrelated colour (sigmoid mode, RGB models). */
  decorrelate?: boolean;
}

export interface PixelOptions {
  mode?: 'sigmoid' | 'linear';
  /** Standard deviation of the initial noise around mid grey (in image units). */
  sd?: number;
  seed?: number;
  /**
   * The image the linear mode is centred on (what decay pulls toward and clipping restores):
   * Yosinski et al. work in mean-subtracted space, so this is the data set's mean pixel
   * (mid grey when unknown).
   */
  center?: number | tf.Tensor4D;
  /** Decorrelated colour (RGB; with the sigmoid). */
  decorrelate?: boolean;
  /** Start from these images ([batch, h, w, c] or one [1, h, w, c], values in [0, 1]). */
  init?: tf.Tensor4D;
}

/** The identity basis: the variable is the image before the colour stage. */
export function pixelBasis(
  shape: ImageShape,
  colour: ColourStage,
  options: { sd?: number; seed?: number; init?: tf.Tensor4D } = {},
): SpatialBasis {
  const { sd = 0.01, seed } = options;
  const { batch, height, width, channels } = shape;
  const full: [number, number, number, number] = [batch, height, width, channels];
  const initial = tf.tidy(() =>
    options.init
      ? colour.invert(tf.broadcastTo(options.init, full) as tf.Tensor4D)
      : // Noise of `sd` in the image: divided by the colour stage's slope at the centre.
        tf.randomNormal(full, 0, sd / colour.gain, 'float32', seed),
  );
  const variable = tf.variable(initial, true, undefined, 'float32');
  initial.dispose();
  return {
    kind: 'pixel',
    variables: [variable],
    identity: variable,
    spatial: () => variable as unknown as tf.Tensor4D,
    dispose: () => variable.dispose(),
  };
}

/**
 * @example const p = pixelImage({ batch: 4, height: 28, width: 28, channels: 1 }, { mode: 'linear' })
 */
export function pixelImage(shape: ImageShape, options: PixelOptions = {}): Parameterization {
  const { mode = 'sigmoid' } = options;
  const colour = colourStage([1, shape.height, shape.width, shape.channels], {
    decorrelate: options.decorrelate ?? false,
    range: mode === 'sigmoid' ? 'sigmoid' : 'clip',
    // The sigmoid mode is centred on mid grey (its variable is a logit).
    center: mode === 'sigmoid' ? 0.5 : options.center,
  });
  return composeImage(shape, pixelBasis(shape, colour, options), colour, {
    kind: `pixel-${mode}${colour.decorrelated ? '-decorrelated' : ''}`,
  });
}

export const pixelRecord: ParameterizationRecord<PixelSpec> = {
  kind: 'pixel',
  choices: [
    { name: 'pixel', description: 'one variable per pixel through a sigmoid' },
    {
      name: 'pixel-linear',
      description: "the image itself, centred on the data's mean (Yosinski)",
    },
    { name: 'pixel-decorrelated', description: 'pixels in decorrelated colour, sigmoid (RGB)' },
  ],
  choiceOf: (spec) =>
    spec.mode === 'linear' ? 'pixel-linear' : spec.decorrelate ? 'pixel-decorrelated' : 'pixel',
  specFor: (choice, current) => ({
    kind: 'pixel',
    mode: choice === 'pixel-linear' ? 'linear' : 'sigmoid',
    sd: current.sd,
    center: current.kind === 'pixel' ? current.center : 'mean',
    ...(choice === 'pixel-decorrelated' ? { decorrelate: true } : {}),
  }),
  build: (spec, context) =>
    pixelImage(context.shape, {
      mode: spec.mode,
      sd: spec.sd,
      seed: context.seed,
      center: centerOf(spec, context),
      decorrelate: spec.decorrelate,
      init: context.init,
    }),
};
