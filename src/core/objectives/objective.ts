/**
 * Objectives: what activation maximization climbs. An objective names the layers it reads and
 * scores a batch of images from their activations, one value per image, so N objectives can
 * be optimized at once with one image each. Constructors follow Lucid's vocabulary (channel,
 * neuron, class logit, deepdream, diversity) and compose with `sum`, `scale` and `negate`.
 * Penalties on the image (total variation, Lp) are objectives on the `input` pseudo-layer
 * (`INPUT`: the image before transforms). Each objective carries its data form (`spec`,
 * spec-types.ts), from which it can be rebuilt anywhere; `checkObjective` validates them
 * against a model with errors that list what is valid.
 */
import * as tf from '@tensorflow/tfjs';
import { ConvscopeError } from '../errors.js';
import { LOGITS } from '../models/forward.js';
import type { VisModel } from '../models/vis-model.js';
import { lpNorm, totalVariation as imageTotalVariation } from '../regularizers/penalties.js';
import type { ObjectiveSpec } from './spec-types.js';
import { channelIndex } from '../methods/index-spec.js';

/** The `input` pseudo-layer: the image being optimized, before transforms, in [0, 1]. */
export const INPUT = '@input';

/** Activations by layer name (plus `LOGITS`), as `VisModel.activations` returns them. */
export type Activations = Record<string, tf.Tensor>;

/** A unit the objective targets, for validation and manifests. */
export interface ObjectiveTarget {
  layer: string;
  /** The channel of `layer` (a unit, for a dense layer). */
  channel?: number;
  /** The class, for the `LOGITS` pseudo-layer (a class is not a channel). */
  classIndex?: number;
  /** Spatial position for a neuron. */
  position?: [number, number];
}

export interface Objective {
  /** Human-readable, e.g. `channel block3_conv1:5`. */
  readonly description: string;
  /** Layers (or `LOGITS`) the score reads. */
  readonly layers: string[];
  readonly targets: ObjectiveTarget[];
  /** One score per image: [batch]. */
  score(activations: Activations): tf.Tensor1D;
  /**
   * True when the score is linear in the activations (channel, neuron, class logit and sums or
   * multiples of them): its gradient with respect to them is then the same at every step, so
   * an engine computes scores and input gradient in one call.
   */
  readonly linear?: boolean;
  /** The objective as data (set by every constructor; absent on hand-made objectives). */
  readonly spec?: ObjectiveSpec;
}

/** The specs of all `parts`, or undefined when one has none (a hand-made objective). */
const specsOf = (parts: Objective[]): ObjectiveSpec[] | undefined =>
  parts.every((o) => o.spec) ? parts.map((o) => o.spec!) : undefined;

function read(activations: Activations, layer: string): tf.Tensor {
  const value = activations[layer];
  if (!value) throw new Error(`activations of '${layer}' were not computed`);
  return value;
}

/** The values of channel `k` per image: [batch, ...spatial]. */
function channelOf(activations: Activations, layer: string, k: number): tf.Tensor {
  const value = read(activations, layer);
  const begin = new Array<number>(value.rank).fill(0);
  const size = [...value.shape];
  begin[value.rank - 1] = k;
  size[value.rank - 1] = 1;
  return tf.slice(value, begin, size);
}

const meanPerImage = (t: tf.Tensor): tf.Tensor1D =>
  t.rank === 1
    ? (t as tf.Tensor1D)
    : (tf.mean(t, [...Array(t.rank).keys()].slice(1)) as tf.Tensor1D);

/**
 * Mean of channel `k` of `layer` over its map (Lucid's `channel`); for a dense layer, the unit.
 * @example channel('block3_conv1', 5)
 */
export function channel(layer: string, k: number): Objective {
  return {
    description: `channel ${layer}:${k}`,
    layers: [layer],
    targets: [{ layer, channel: k }],
    linear: true,
    spec: { kind: 'channel', layer, channel: k },
    score: (activations) => meanPerImage(channelOf(activations, layer, k)),
  };
}

/**
 * Channel `k` at one position (default: the center of the map).
 * @example neuron('block5_conv3', 12) // center unit
 */
export function neuron(layer: string, k: number, y?: number, x?: number): Objective {
  const position = y === undefined || x === undefined ? undefined : ([y, x] as [number, number]);
  return {
    description: `neuron ${layer}:${k}${position ? ` at (${y}, ${x})` : ' at the center'}`,
    layers: [layer],
    targets: [{ layer, channel: k, position }],
    linear: true,
    spec: { kind: 'neuron', layer, channel: k, ...(position ? { y, x } : {}) },
    score: (activations) => {
      const values = channelOf(activations, layer, k);
      if (values.rank !== 4) return meanPerImage(values);
      const [, h, w] = values.shape;
      const [py, px] = position ?? [Math.floor((h - 1) / 2), Math.floor((w - 1) / 2)];
      return tf.reshape(tf.slice(values, [0, py, px, 0], [-1, 1, 1, 1]), [-1]) as tf.Tensor1D;
    },
  };
}

/**
 * The pre-softmax score of class `k` (never the probability: its gradient also pushes the
 * other classes down, which gives worse images).
 * @example classLogit(281)
 */
export function classLogit(k: number, label?: string): Objective {
  return {
    description: `class logit ${k}${label ? ` (${label})` : ''}`,
    layers: [LOGITS],
    targets: [{ layer: LOGITS, classIndex: k }],
    linear: true,
    spec: { kind: 'class', index: k, ...(label === undefined ? {} : { label }) },
    score: (activations) => meanPerImage(channelOf(activations, LOGITS, k)),
  };
}

/**
 * DeepDream: the mean square of a whole layer, which amplifies whatever the layer already
 * sees in the image (start from a photo).
 */
export function deepdream(layer: string): Objective {
  return {
    description: `deepdream ${layer}`,
    layers: [layer],
    targets: [{ layer }],
    spec: { kind: 'deepdream', layer },
    score: (activations) => meanPerImage(tf.square(read(activations, layer))),
  };
}

/**
 * Diversity across the batch (Lucid): minus the mean pairwise cosine similarity of the
 * images' Gram matrices at `layer`; added (scaled) to a channel objective so that a batch
 * of images for one unit shows different facets. The same value for every image.
 */
export function diversity(layer: string): Objective {
  return {
    description: `diversity ${layer}`,
    layers: [layer],
    targets: [{ layer }],
    spec: { kind: 'diversity', layer },
    score: (activations) => {
      const value = read(activations, layer);
      const batch = value.shape[0];
      if (batch < 2) return tf.zeros([batch]) as tf.Tensor1D;
      const channels = value.shape[value.rank - 1];
      const flat = tf.reshape(value, [batch, -1, channels]);
      const gram = tf.reshape(tf.matMul(flat, flat, true, false), [batch, -1]);
      const unit = tf.div(gram, tf.add(tf.norm(gram, 'euclidean', 1, true), 1e-8));
      const similarity = tf.matMul(unit, unit, false, true);
      const offDiagonal = tf.sub(tf.sum(similarity), tf.sum(tf.mul(similarity, tf.eye(batch))));
      const mean = tf.div(offDiagonal, batch * (batch - 1));
      return tf.mul(tf.neg(mean), tf.ones([batch])) as tf.Tensor1D;
    },
  };
}

/**
 * Total variation of the image (the `input` pseudo-layer): mean absolute difference of
 * neighbouring pixels, per image. A penalty: subtract it, e.g. `sum(o, scale(tv, -1e-3))`.
 */
export function totalVariation(): Objective {
  return {
    description: 'total variation',
    layers: [INPUT],
    targets: [{ layer: INPUT }],
    spec: { kind: 'total-variation' },
    score: (activations) => imageTotalVariation(read(activations, INPUT) as tf.Tensor4D),
  };
}

/** Mean |x - 0.5|^p of the image (the `input` pseudo-layer); a penalty like `totalVariation`. */
export function lp(p: number): Objective {
  return {
    description: `L${p} norm`,
    layers: [INPUT],
    targets: [{ layer: INPUT }],
    spec: { kind: 'lp', p },
    score: (activations) => lpNorm(read(activations, INPUT) as tf.Tensor4D, p),
  };
}

/** The sum of objectives. */
export function sum(...objectives: Objective[]): Objective {
  const terms = specsOf(objectives);
  return {
    ...(terms ? { spec: { kind: 'sum' as const, terms } } : {}),
    description: objectives.map((o) => o.description).join(' + '),
    layers: [...new Set(objectives.flatMap((o) => o.layers))],
    targets: objectives.flatMap((o) => o.targets),
    linear: objectives.every((o) => o.linear),
    score: (activations) => tf.addN(objectives.map((o) => o.score(activations))) as tf.Tensor1D,
  };
}

/** `factor` times an objective. */
export function scale(objective: Objective, factor: number): Objective {
  return {
    ...objective,
    spec: objective.spec && { kind: 'scale', factor, objective: objective.spec },
    description: `${factor} * (${objective.description})`,
    score: (activations) => tf.mul(objective.score(activations), factor),
  };
}

/** Minimizes instead (e.g. the image a unit responds to least). */
export function negate(objective: Objective): Objective {
  return {
    ...objective,
    spec: objective.spec && { kind: 'negate', objective: objective.spec },
    description: `-(${objective.description})`,
    score: (activations) => tf.neg(objective.score(activations)),
  };
}

/**
 * Checks every target of `objective` against the model: the layer exists (the error lists
 * the layers), the channel is below its channel count, the class is one the model has, the
 * position lies inside the map.
 */
export function checkObjective(model: VisModel, objective: Objective): void {
  for (const { layer, channel, classIndex, position } of objective.targets) {
    if (layer === INPUT) continue;
    if (layer === LOGITS) {
      if (classIndex !== undefined) model.classIndex(classIndex);
      continue;
    }
    const node = model.layer(layer);
    if (channel !== undefined) channelIndex(node, channel);
    if (position && node.spatial) {
      const [h, w] = node.outputShape as number[];
      const [y, x] = position;
      if (y < 0 || x < 0 || y >= h || x >= w) {
        throw new ConvscopeError(
          `position (${y}, ${x}) is outside the ${h}x${w} map of '${layer}'`,
        );
      }
    }
  }
}
