/**
 * Diversity (Lucid, Olah et al. 2017 "Feature Visualization", section Diversity): N images per
 * unit, optimized together, each pushed away from the others of its unit by the cosine
 * similarity of their Gram matrices at the unit's layer, so that a unit's images show
 * different facets. `maximize` expands every objective into N facets (unit-major: unit 0's N
 * images, then unit 1's) when `settings.diversity` asks for more than one image, so worker
 * shards, which cut the objectives, always keep a unit's facets in one batch.
 *
 * Lucid's objective is `channel - 1e2 * diversity(layer)`, with diversity the sum over pairs
 * i != j of the similarity, divided by the batch; channel is a mean over the batch. Our
 * objectives are summed over images (one per image), i.e. Lucid's times N, so image i gets
 * `unit_i - weight * sum_{j != i in its group} similarity(i, j)` and the batch total is
 * exactly N times Lucid's for one unit.
 */
import * as tf from '@tensorflow/tfjs';
import type { Activations, Objective } from '../objectives/objective.js';

import type { DiversitySettings } from './settings.js';

/**
 * Per image of the batch: minus the summed Gram cosine similarity to the other images of the
 * same group at `layer` (0 for images of no group on this layer). [batch].
 */
export function groupSimilarityPenalty(value: tf.Tensor, groups: number[]): tf.Tensor1D {
  return tf.tidy(() => {
    const batch = value.shape[0];
    const channels = value.shape[value.rank - 1];
    const flat = tf.reshape(value, [batch, -1, channels]);
    const gram = tf.reshape(tf.matMul(flat, flat, true, false), [batch, -1]);
    const unit = tf.div(gram, tf.add(tf.norm(gram, 'euclidean', 1, true), 1e-10));
    const similarity = tf.matMul(unit, unit, false, true);
    const mask = new Float32Array(batch * batch);
    for (let i = 0; i < batch; i++) {
      for (let j = 0; j < batch; j++) {
        if (i !== j && groups[i] >= 0 && groups[i] === groups[j]) mask[i * batch + j] = 1;
      }
    }
    return tf.neg(tf.sum(tf.mul(similarity, tf.tensor2d(mask, [batch, batch])), 1)) as tf.Tensor1D;
  });
}

/**
 * Each objective repeated `images` times (unit-major), plus `weight` times the group
 * similarity penalty at the objective's first layer. One Gram computation per layer and
 * activations object: the penalty of the whole batch is cached for the other objectives.
 * @example facetObjectives([channel('block2_conv1', 3)], { images: 4, weight: 100 })
 */
export function facetObjectives(
  objectives: Objective[],
  { images, weight }: DiversitySettings,
): Objective[] {
  if (images <= 1) return objectives;
  const expanded = objectives.flatMap((o) => Array.from({ length: images }, () => o));
  const layerOf = (o: Objective) => o.layers[0];
  const cache = new WeakMap<Activations, Map<string, tf.Tensor1D>>();
  const penaltyAt = (activations: Activations, layer: string): tf.Tensor1D => {
    let byLayer = cache.get(activations);
    if (!byLayer) cache.set(activations, (byLayer = new Map()));
    let penalty = byLayer.get(layer);
    // A tensor freed by the step's tidy is not reused: recompute.
    if (!penalty || penalty.isDisposed) {
      // Group g = the objective's position; images of objectives on other layers: none.
      const groups = expanded.map((o, i) => (layerOf(o) === layer ? Math.floor(i / images) : -1));
      penalty = groupSimilarityPenalty(activations[layer], groups);
      byLayer.set(layer, penalty);
    }
    return penalty;
  };
  return expanded.map((o) => ({
    description: `${o.description} - ${weight} * diversity ${layerOf(o)}`,
    layers: o.layers,
    targets: o.targets,
    score: (activations) =>
      tf.add(o.score(activations), tf.mul(penaltyAt(activations, layerOf(o)), weight)),
  }));
}
