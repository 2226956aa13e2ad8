/**
 * A parameterization kind as a record, like attribution methods: its spec (plain JSON, in
 * presets and manifests), the `--parameterization` choices it answers (the CLI's flag and the
 * workbench's field are generated from them) and how it builds its spatial basis and colour
 * stage. `registry.ts` lists the records; nothing else switches on a kind.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ImageShape, Parameterization } from './parameterization.js';

/** What every kind's spec has. */
export interface BaseParameterizationSpec {
  kind: string;
  /** Standard deviation of the starting variables. */
  sd: number;
  /** What the image is centred on: the model's mean image or a grey level (kinds that use it). */
  center?: 'mean' | number;
}

export interface ParameterizationContext {
  shape: ImageShape;
  seed: number;
  /** The run's starting images, [1 or batch, h, w, c] in [0, 1]. */
  init?: tf.Tensor4D;
  /** The model's mean image [1, h, w, c], for `center: 'mean'`. */
  meanImage?: tf.Tensor4D;
}

export interface ParameterizationChoice {
  /** The `--parameterization` value. */
  name: string;
  description: string;
}

export interface ParameterizationRecord<S extends BaseParameterizationSpec> {
  kind: S['kind'];
  choices: readonly ParameterizationChoice[];
  /** Which of this record's choices `spec` is. */
  choiceOf(spec: S): string;
  /** The spec of one of its choices, keeping what carries over from the current spec. */
  specFor(choice: string, current: BaseParameterizationSpec): S;
  build(spec: S, context: ParameterizationContext): Parameterization;
}

/** The centre a spec asks for, as a grey level or the model's mean image. */
export const centerOf = (
  spec: BaseParameterizationSpec,
  context: ParameterizationContext,
): number | tf.Tensor4D =>
  spec.center === 'mean' ? (context.meanImage ?? 0.5) : (spec.center ?? 0.5);
