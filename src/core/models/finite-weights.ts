/**
 * The load-time check that every weight of a model is a finite number. A corrupt or badly
 * converted weights file can hold NaN or ±Infinity; tfjs loads it without a word, and then a
 * prediction reads "NaN%", a single bad kernel picks a confident wrong class, and activation
 * maximization blames the learning rate. The check costs one sum per weight tensor on the
 * backend (NaN and ±Infinity propagate into a sum, so a finite sum clears the tensor) and one
 * read-back of all sums; only a tensor whose sum is not finite is read and counted element by
 * element, which also clears sums that merely overflowed.
 */
import * as tf from '@tensorflow/tfjs';
import { ConvscopeError } from '../errors.js';

/** A weight tensor with non-finite values. */
export interface NonFiniteWeight {
  /** The weight's name in the model file, e.g. 'block1_conv1/kernel'. */
  name: string;
  /** How many of its values are NaN. */
  nan: number;
  /** How many are +Infinity or -Infinity. */
  infinite: number;
  /** How many values it has in all. */
  size: number;
}

/**
 * The weight tensors of `model` that hold NaN or ±Infinity, in the model's weight order.
 * @example (await nonFiniteWeights(model)).map((w) => w.name) // ['block1_conv1/kernel']
 */
export async function nonFiniteWeights(model: tf.LayersModel): Promise<NonFiniteWeight[]> {
  const weights = model.weights.filter((w) => w.dtype === 'float32' && w.shape.length > 0);
  if (weights.length === 0) return [];
  const sums = tf.tidy(() => tf.stack(weights.map((w) => tf.sum(w.read()))));
  const values = await sums.data();
  sums.dispose();
  const found: NonFiniteWeight[] = [];
  for (const [i, weight] of weights.entries()) {
    if (Number.isFinite(values[i])) continue;
    const data = (await weight.read().data()) as Float32Array;
    let nan = 0;
    let infinite = 0;
    for (const v of data) {
      if (Number.isNaN(v)) nan++;
      else if (!Number.isFinite(v)) infinite++;
    }
    if (nan + infinite > 0) {
      found.push({ name: weight.originalName ?? weight.name, nan, infinite, size: data.length });
    }
  }
  return found;
}

function describeCounts({ nan, infinite }: NonFiniteWeight): string {
  const parts = [];
  if (nan > 0) parts.push(`${nan} NaN`);
  if (infinite > 0) parts.push(`${infinite} infinite`);
  return `${parts.join(' and ')} value${nan + infinite === 1 ? '' : 's'}`;
}

/**
 * Throws a ConvscopeError naming the first weight with NaN or ±Infinity (and how many other
 * weights have them); `source` names the model file or folder.
 *
 * @example await assertFiniteWeights(model, 'models/vgg16');
 * // weight 'block1_conv1/kernel' has 12 NaN values (of 1728); the model file models/vgg16 is corrupt
 */
export async function assertFiniteWeights(model: tf.LayersModel, source: string): Promise<void> {
  const bad = await nonFiniteWeights(model);
  if (bad.length === 0) return;
  const [first] = bad;
  const others = bad.length - 1;
  const more =
    others > 0
      ? `; ${others} more weight${others === 1 ? ' holds' : 's hold'} NaN or Infinity too`
      : '';
  throw new ConvscopeError(
    `weight '${first.name}' has ${describeCounts(first)} (of ${first.size}); ` +
      `the model file ${source} is corrupt${more}`,
    'download or convert the model again; for a zoo model run `convscope models fetch NAME --force`',
  );
}
