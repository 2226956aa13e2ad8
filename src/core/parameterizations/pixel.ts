/**
 * The pixel parameterization: one variable per pixel. `sigmoid` maps an unbounded variable
 * through a sigmoid (Lucid's pixel image); `linear` keeps the image itself, centred on mid
 * grey or the data set's mean (image = pixels + center, kept in [0, 1]), which is the space where Yosinski et al.'s
 * decay, blur and clipping operate (their mean-subtracted image, scaled to [0, 1]). Either
 * can start from a given image (DeepDream, caricatures) instead of noise.
 */
import * as tf from '@tensorflow/tfjs';
import type { ImageShape, Parameterization } from './parameterization.js';

export interface PixelOptions {
  mode?: 'sigmoid' | 'linear';
  /** Standard deviation of the initial noise around mid grey. */
  sd?: number;
  seed?: number;
  /**
   * The image the linear mode is centred on (what decay pulls toward and clipping restores):
   * Yosinski et al. work in mean-subtracted space, so this is the data set's mean pixel
   * (mid grey when unknown).
   */
  center?: number | tf.Tensor4D;
  /** Start from these images ([batch, h, w, c] or one [1, h, w, c], values in [0, 1]). */
  init?: tf.Tensor4D;
}

/**
 * @example const p = pixelImage({ batch: 4, height: 28, width: 28, channels: 1 }, { mode: 'linear' })
 */
export function pixelImage(shape: ImageShape, options: PixelOptions = {}): Parameterization {
  const { mode = 'sigmoid', sd = 0.01, seed, center = 0.5 } = options;
  const { batch, height, width, channels } = shape;
  const initial = tf.tidy(() => {
    if (options.init) {
      const start = tf.broadcastTo(options.init, [batch, height, width, channels]);
      const clipped = tf.clipByValue(start, 1e-3, 1 - 1e-3);
      return mode === 'sigmoid'
        ? tf.log(tf.div(clipped, tf.sub(1, clipped)))
        : tf.sub(start, center);
    }
    return tf.randomNormal(
      [batch, height, width, channels],
      0,
      mode === 'sigmoid' ? sd * 4 : sd,
      'float32',
      seed,
    );
  });
  const variable = tf.variable(initial, true, undefined, 'float32');
  initial.dispose();
  return {
    kind: `pixel-${mode}`,
    shape,
    variables: [variable],
    pixels: mode === 'linear' ? variable : undefined,
    image: () =>
      tf.tidy(() =>
        mode === 'sigmoid'
          ? (tf.sigmoid(variable) as tf.Tensor4D)
          : (tf.clipByValue(tf.add(variable, center), 0, 1) as tf.Tensor4D),
      ),
    project:
      mode === 'linear'
        ? () =>
            variable.assign(
              tf.tidy(() => tf.minimum(tf.maximum(variable, tf.neg(center)), tf.sub(1, center))),
            )
        : undefined,
    dispose: () => variable.dispose(),
  };
}
