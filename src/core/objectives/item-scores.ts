/**
 * Each image's own objective for a batch that optimizes one image per objective: image i is
 * scored by objective i. When every objective is, by its spec, a channel mean (possibly
 * scaled or negated), the batch takes a one-pass fast path; the decision is read from the
 * data (`channelMean`), not from flags that constructors set and combinators must clear.
 */
import * as tf from '@tensorflow/tfjs';
import type { Activations, Objective } from './objective.js';
import type { ObjectiveSpec } from './spec-types.js';

/** A mean over one channel of one layer, times `weight`. */
export interface ChannelMean {
  layer: string;
  channel: number;
  weight: number;
}

/**
 * `spec` as `weight` times the mean of one channel of one layer, or null when it is anything
 * else (a neuron, a class logit, a sum, a penalty...).
 * @example channelMean({ kind: 'negate', objective: { kind: 'channel', layer: 'a', channel: 3 } })
 * // { layer: 'a', channel: 3, weight: -1 }
 */
export function channelMean(spec: ObjectiveSpec | undefined): ChannelMean | null {
  if (!spec) return null;
  switch (spec.kind) {
    case 'channel':
      return { layer: spec.layer, channel: spec.channel, weight: 1 };
    case 'scale': {
      const inner = channelMean(spec.objective);
      return inner && { ...inner, weight: inner.weight * spec.factor };
    }
    case 'negate': {
      const inner = channelMean(spec.objective);
      return inner && { ...inner, weight: -inner.weight };
    }
    default:
      return null;
  }
}

/**
 * Image i's (weighted) mean of channel k_i for a batch of channel means, in one pass per
 * layer: spatial means [batch, channels] times a weighted one-hot mask, summed. The generic
 * path scores every objective on the whole batch (N x N work); at 64 filters this is the
 * difference.
 */
function channelScores(means: ChannelMean[], activations: Activations): tf.Tensor1D {
  const layers = [...new Set(means.map((m) => m.layer))];
  const parts = layers.map((layer) => {
    const value = activations[layer];
    const channels = value.shape[value.rank - 1];
    const mask = new Float32Array(means.length * channels);
    means.forEach((m, i) => {
      if (m.layer === layer) mask[i * channels + m.channel] = m.weight;
    });
    const axes = [...Array(value.rank).keys()].slice(1, -1);
    const spatial = axes.length > 0 ? tf.mean(value, axes) : value;
    return tf.sum(tf.mul(spatial, tf.tensor2d(mask, [means.length, channels])), 1);
  });
  return (parts.length === 1 ? parts[0] : tf.addN(parts)) as tf.Tensor1D;
}

/** Objective of image i for objective i: [batch]. */
export function itemScores(objectives: Objective[], activations: Activations): tf.Tensor1D {
  if (objectives.length === 1) return objectives[0].score(activations);
  const means = objectives.map((o) => channelMean(o.spec));
  if (means.every((m) => m !== null)) return channelScores(means, activations);
  return tf.concat(
    objectives.map((o, i) => tf.slice(o.score(activations), [i], [1])),
  ) as tf.Tensor1D;
}
