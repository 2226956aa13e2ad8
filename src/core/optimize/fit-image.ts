/**
 * Starting a parameterization from a given image (Nguyen et al. 2016 start dead units from
 * their best dataset patch). Pixels take the image directly (`pixelImage`'s init); a Fourier
 * or MACO image has no closed-form inverse here (sigmoid, colour decorrelation, 1/f scaling),
 * so its variables are fitted to the image by least squares: a few hundred Adam steps, cheap
 * next to the run itself.
 */
import * as tf from '@tensorflow/tfjs';
import type { Parameterization } from '../parameterizations/parameterization.js';

/**
 * Fits `parameterization`'s variables so that `image()` is close to `target` ([1 or batch,
 * h, w, c] in [0, 1]); returns the final mean squared error.
 * @example await fitToImage(fourierImage(shape), patch)
 */
export async function fitToImage(
  parameterization: Parameterization,
  target: tf.Tensor4D,
  steps = 300,
): Promise<number> {
  // Adam's rate is per coefficient; the spectrum's are ~1/side of a pixel's reach.
  const optimizer = tf.train.adam(0.05);
  const loss = () => tf.mean(tf.squaredDifference(parameterization.image(), target)) as tf.Scalar;
  try {
    for (let i = 0; i < steps; i++) {
      tf.tidy(() => {
        optimizer.minimize(loss, false, parameterization.variables);
      });
      parameterization.project?.();
    }
    const error = tf.tidy(loss);
    const value = (await error.data())[0];
    error.dispose();
    return value;
  } finally {
    optimizer.dispose();
  }
}
