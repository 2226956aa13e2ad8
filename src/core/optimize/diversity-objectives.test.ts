/** The diversity term on hand-made activations: exact values, groups kept apart, no leaks. */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { channel } from '../objectives/objective.js';
import { facetObjectives, groupSimilarityPenalty } from './diversity-objectives.js';
import { itemScores } from '../objectives/item-scores.js';

// Four 1x2 maps with 2 channels: images 0 and 1 identical, 2 orthogonal to them (other
// channel only), 3 a copy of 2.
const acts = () =>
  tf.tensor4d(
    [
      [1, 0, 2, 0],
      [1, 0, 2, 0],
      [0, 3, 0, 1],
      [0, 3, 0, 1],
    ].flat(),
    [4, 1, 2, 2],
  );

describe('diversity', () => {
  it('penalizes each image by its summed Gram cosine similarity to its own group only', async () => {
    const value = acts();
    // Groups {0, 1, 2} and {3}: 0 and 1 are identical (similarity 1), 2 is orthogonal (0).
    const penalty = groupSimilarityPenalty(value, [0, 0, 0, 1]);
    expect(Array.from(await penalty.data())).toEqual(
      [-1, -1, -0, -0].map((v) => expect.closeTo(v, 5)),
    );
    // Same group {2, 3}: identical Gram matrices.
    const other = groupSimilarityPenalty(value, [-1, -1, 5, 5]);
    expect(Array.from(await other.data()).map((v) => Number(v.toFixed(5)))).toEqual([0, 0, -1, -1]);
    tf.dispose([value, penalty, other]);
  });

  it('expands objectives unit-major and adds weight x penalty to each image', async () => {
    const before = tf.memory().numTensors;
    const objectives = facetObjectives([channel('conv', 0), channel('conv', 1)], {
      images: 2,
      weight: 10,
    });
    expect(objectives).toHaveLength(4);
    expect(objectives[1].description).toBe('channel conv:0 - 10 * diversity conv');
    const value = acts();
    const scores = tf.tidy(() => itemScores(objectives, { conv: value }));
    // Images 0, 1: channel 0 means 1.5, penalty -1 each; images 2, 3: channel 1 means 2, -1.
    expect(Array.from(await scores.data())).toEqual(
      [-8.5, -8.5, -8, -8].map((v) => expect.closeTo(v, 4)),
    );
    tf.dispose([value, scores]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('leaves the objectives alone for one image per unit', () => {
    const objectives = [channel('conv', 0)];
    expect(facetObjectives(objectives, { images: 1, weight: 100 })).toBe(objectives);
  });
});
