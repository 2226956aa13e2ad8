/**
 * Under `diversity`, the optimized objective of each image includes the (negative) similarity
 * term that pushes a unit's images apart, so its score is not the unit's activation. This
 * measures each image again by its own objective alone (one forward pass), for captions, dead
 * units and manifests: the CLI and the workbench report the same number.
 */
import * as tf from '@tensorflow/tfjs';
import type { VisModel } from '../models/vis-model.js';
import { separateInputTerms } from '../objectives/input-terms.js';
import { itemScores } from '../objectives/item-scores.js';
import { objectiveFromSpec } from '../objectives/objective-spec.js';
import type { ObjectiveSpec } from '../objectives/spec-types.js';
import type { ImageBatch } from './maximize.js';

/**
 * Image i of `best` scored by `specs[i]` (one spec per image: with N images per unit, each
 * unit's spec N times, unit-major as `maximize` expands them).
 * @example await unitScores(model, specs.flatMap((s) => [s, s, s]), result.best)
 */
export async function unitScores(
  model: VisModel,
  specs: readonly ObjectiveSpec[],
  best: ImageBatch,
): Promise<number[]> {
  // The network's part: terms on the image (tv, Lp) are penalties, never reported.
  const objectives = separateInputTerms(specs.map(objectiveFromSpec)).network;
  const layers = [...new Set(objectives.flatMap((o) => o.layers))];
  const scores = tf.tidy(() => {
    const images = tf.tensor4d(best.data, best.shape);
    return itemScores(objectives, model.activations(images, layers));
  });
  const values = Array.from(await scores.data());
  scores.dispose();
  return values;
}
