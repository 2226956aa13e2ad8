/**
 * Each image's own objective for a batch that optimizes one image per objective: image i is
 * scored by objective i. Channel-mean objectives take a one-pass fast path.
 */
import * as tf from '@tensorflow/tfjs';
import type { Activations, Objective } from '../objectives/objective.js';

/**
 * Image i's mean of channel k_i for a batch of channel objectives, in one pass per layer:
 * spatial means [batch, channels] times a one-hot mask, summed. The generic path scores every
 * objective on the whole batch (N x N work); at 64 filters this is the difference.
 */
function channelScores(objectives: Objective[], activations: Activations): tf.Tensor1D {
  const layers = [...new Set(objectives.map((o) => o.channel!.layer))];
  const parts = layers.map((layer) => {
    const value = activations[layer];
    const channels = value.shape[value.rank - 1];
    const mask = new Float32Array(objectives.length * channels);
    objectives.forEach((o, i) => {
      if (o.channel!.layer === layer) mask[i * channels + o.channel!.index] = 1;
    });
    const axes = [...Array(value.rank).keys()].slice(1, -1);
    const means = axes.length > 0 ? tf.mean(value, axes) : value;
    return tf.sum(tf.mul(means, tf.tensor2d(mask, [objectives.length, channels])), 1);
  });
  return (parts.length === 1 ? parts[0] : tf.addN(parts)) as tf.Tensor1D;
}

/** Objective of image i for objective i: [batch]. */
export function itemScores(objectives: Objective[], activations: Activations): tf.Tensor1D {
  if (objectives.length === 1) return objectives[0].score(activations);
  if (objectives.every((o) => o.channel)) return channelScores(objectives, activations);
  return tf.concat(
    objectives.map((o, i) => tf.slice(o.score(activations), [i], [1])),
  ) as tf.Tensor1D;
}
