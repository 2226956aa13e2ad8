/**
 * The data form of an objective (`ObjectiveSpec`): a JSON value for every constructor of
 * objective.ts, recursive through `sum`, `scale` and `negate`, so any objective can be stored
 * in a manifest, sent to a worker thread, a queue job or a Web Worker, and rebuilt there by
 * `objectiveFromSpec`. Penalties on the image (total variation, Lp) are objectives on the
 * `input` pseudo-layer. Types only: objective.ts and objective-spec.ts both name them.
 */

/**
 * A unit: the mean of `channel` of `layer` (for a dense layer, the unit itself). Specs written
 * before the vocabulary settled said `index`; `readObjectiveSpec` still reads that.
 */
export interface ChannelSpec {
  kind: 'channel';
  layer: string;
  channel: number;
}

/** `channel` at one position (default: the center of the map). */
export interface NeuronSpec {
  kind: 'neuron';
  layer: string;
  channel: number;
  y?: number;
  x?: number;
}

/** The pre-softmax score of class `index`. */
export interface ClassSpec {
  kind: 'class';
  index: number;
  label?: string;
}

/** DeepDream (mean square of a layer) or Lucid's batch diversity at a layer. */
export interface LayerSpec {
  kind: 'deepdream' | 'diversity';
  layer: string;
}

/** Total variation of the image (`input` pseudo-layer): mean |neighbour difference|. */
export interface TotalVariationSpec {
  kind: 'total-variation';
}

/** Mean |x - 0.5|^p of the image (`input` pseudo-layer). */
export interface LpSpec {
  kind: 'lp';
  p: number;
}

export interface SumSpec {
  kind: 'sum';
  terms: ObjectiveSpec[];
}

export interface ScaleSpec {
  kind: 'scale';
  factor: number;
  objective: ObjectiveSpec;
}

export interface NegateSpec {
  kind: 'negate';
  objective: ObjectiveSpec;
}

export type ObjectiveSpec =
  | ChannelSpec
  | NeuronSpec
  | ClassSpec
  | LayerSpec
  | TotalVariationSpec
  | LpSpec
  | SumSpec
  | ScaleSpec
  | NegateSpec;

/** Every `kind`, for validation and error messages. */
export const OBJECTIVE_KINDS = [
  'channel',
  'neuron',
  'class',
  'deepdream',
  'diversity',
  'total-variation',
  'lp',
  'sum',
  'scale',
  'negate',
] as const;
