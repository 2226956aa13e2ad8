/**
 * Each image's best iterate: the images and step where its objective (measured without
 * transforms) was highest so far. A non-finite objective means the optimization diverged,
 * which is an error that names the fix rather than a NaN image.
 */
import * as tf from '@tensorflow/tfjs';
import { ConvscopeError } from '../errors.js';

export class BestIterates {
  images: tf.Tensor4D | null = null;
  scores: number[] = [];
  steps: number[] = [];
  /** The step last tracked (-1: none yet). */
  step = -1;

  track(step: number, images: tf.Tensor4D, scores: number[]): void {
    const bad = scores.find((s) => !Number.isFinite(s));
    if (bad !== undefined) {
      throw new ConvscopeError(
        `the optimization diverged (objective ${bad}) at step ${step}`,
        'lower the learning rate (--lr) or use another preset',
      );
    }
    this.step = step;
    if (!this.images) {
      this.images = tf.keep(tf.clone(images));
      this.scores = [...scores];
      this.steps = scores.map(() => step);
      return;
    }
    const better = scores.map((s, i) => s > this.scores[i]);
    if (!better.some(Boolean)) return;
    const previous = this.images;
    const [batch, height, width, channels] = images.shape;
    this.images = tf.tidy(() =>
      tf.where(
        tf.tensor1d(better, 'bool').reshape([batch, 1, 1, 1]).tile([1, height, width, channels]),
        images,
        previous,
      ),
    ) as tf.Tensor4D;
    previous.dispose();
    better.forEach((b, i) => {
      if (b) [this.scores[i], this.steps[i]] = [scores[i], step];
    });
  }

  dispose(): void {
    this.images?.dispose();
    this.images = null;
  }
}
