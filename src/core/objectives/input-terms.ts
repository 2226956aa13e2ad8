/**
 * Objectives that read the `input` pseudo-layer (total variation, Lp) are terms on the image,
 * not on the network: the loop optimizes them beside its penalty settings, on the image before
 * transforms, and leaves the network part to the engine (TF.js, ONNX Runtime, the fused step),
 * which never sees them. Every combinator is linear (sum, scale, negate), so any spec splits
 * into a network part plus an input part, keeping its structure; objectives without input
 * terms come back untouched (the same object, so the same images to the byte).
 */
import * as tf from '@tensorflow/tfjs';
import { ConvscopeError } from '../errors.js';
import { INPUT, type Objective } from './objective.js';
import { objectiveFromSpec } from './objective-spec.js';
import type { ObjectiveSpec } from './spec-types.js';

type Split = { network: ObjectiveSpec | null; input: ObjectiveSpec | null };

/** `spec` as network part + input part (either null when empty). */
export function splitSpec(spec: ObjectiveSpec): Split {
  switch (spec.kind) {
    case 'total-variation':
    case 'lp':
      return { network: null, input: spec };
    case 'scale':
    case 'negate': {
      const inner = splitSpec(spec.objective);
      const wrap = (part: ObjectiveSpec | null) => part && { ...spec, objective: part };
      return { network: wrap(inner.network), input: wrap(inner.input) };
    }
    case 'sum': {
      const parts = spec.terms.map(splitSpec);
      const join = (terms: (ObjectiveSpec | null)[]): ObjectiveSpec | null => {
        const present = terms.filter((t) => t !== null);
        if (present.length === 0) return null;
        return present.length === 1 ? present[0] : { kind: 'sum', terms: present };
      };
      return { network: join(parts.map((p) => p.network)), input: join(parts.map((p) => p.input)) };
    }
    default:
      return { network: spec, input: null };
  }
}

export interface SeparatedObjectives {
  /** What the network scores, one per image (the same objects where nothing was split). */
  network: Objective[];
  /**
   * Minus the input terms of each image, [batch], to add to the loop's penalty (which is
   * subtracted); null when no objective has input terms. `repeat` copies per objective
   * (`--diversity N`: N images per objective, unit-major).
   */
  inputPenalty: ((image: tf.Tensor4D) => tf.Tensor1D) | null;
}

/**
 * @example const { network, inputPenalty } = separateInputTerms([objectiveFromSpec(spec)], 1)
 */
export function separateInputTerms(objectives: Objective[], repeat = 1): SeparatedObjectives {
  const reads = (o: Objective) => o.layers.includes(INPUT);
  if (!objectives.some(reads)) return { network: objectives, inputPenalty: null };
  const parts = objectives.map((o) => {
    if (!reads(o)) return { network: o, input: null };
    if (!o.spec) throw new Error(`objective '${o.description}' reads the input but has no spec`);
    const { network, input } = splitSpec(o.spec);
    if (!network) {
      throw new ConvscopeError(
        `the objective '${o.description}' only penalizes the image: it needs a term on the network`,
        'add a unit, e.g. block3_conv1:5 - 1e-3*tv',
      );
    }
    return { network: objectiveFromSpec(network), input: input && objectiveFromSpec(input) };
  });
  const terms = parts.flatMap((p) => Array.from({ length: repeat }, () => p.input));
  return {
    network: parts.map((p) => p.network),
    inputPenalty: (image) =>
      tf.neg(
        tf.concat(
          terms.map((term, i) => {
            const one = tf.slice(image, [i], [1]);
            return term ? term.score({ [INPUT]: one }) : tf.zeros([1]);
          }),
        ),
      ) as tf.Tensor1D,
  };
}
