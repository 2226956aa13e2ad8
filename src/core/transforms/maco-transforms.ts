/**
 * MACO's augmentations (Fel et al. 2023, as in Xplique's `maco_optimisation_step`): a random
 * square-ish crop that the loop then resizes to the model input (a random zoom), and additive
 * noise. Xplique draws 32 crops of one image per step; here each step draws one crop for the
 * batch (one image per objective), which costs one forward pass instead of 32.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../optimize/rng.js';

// transforms.ts's Transform, restated so the two files do not import each other.
type Transform = (image: tf.Tensor4D, rng: Rng) => tf.Tensor4D;

/** A standard normal draw (Box-Muller) from the seeded generator. */
export function normal(rng: Rng): number {
  const u = Math.max(rng.next(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

/**
 * Crops a box whose side is a fraction ~ N(mean, sd) of the image's, clipped to [min, 1],
 * centred at 0.5 + N(0, 0.15) of each axis and moved inside the image (Xplique pads outside
 * with zeros; a shifted box keeps the view on the image).
 * @example randomCrop(0.65, 0.1, 0.3)(images, rng)
 */
export function randomCrop(mean: number, sd: number, min: number): Transform {
  return (image, rng) => {
    const [, h, w] = image.shape;
    const fraction = Math.min(1, Math.max(min, mean + sd * normal(rng)));
    const [ch, cw] = [Math.max(1, Math.round(fraction * h)), Math.max(1, Math.round(fraction * w))];
    const place = (size: number, box: number) =>
      Math.min(size - box, Math.max(0, Math.round((0.5 + 0.15 * normal(rng)) * size - box / 2)));
    const [y, x] = [place(h, ch), place(w, cw)];
    return tf.slice(image, [0, y, x, 0], [-1, ch, cw, -1]);
  };
}

/**
 * Adds N(0, sd) and U(-sd/2, sd/2) noise (Xplique's pair), seeded from `rng`.
 * @example randomNoise(0.04)(images, rng)
 */
export function randomNoise(sd: number): Transform {
  return (image, rng) =>
    tf.tidy(() =>
      tf.add(
        image,
        tf.add(
          tf.randomNormal(image.shape, 0, sd, 'float32', rng.seed()),
          tf.randomUniform(image.shape, -sd / 2, sd / 2, 'float32', rng.seed()),
        ),
      ),
    );
}
