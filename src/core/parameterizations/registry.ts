/**
 * Every parameterization kind (parameterization-record.ts). The spec union, the
 * `--parameterization` choices and the dispatch from a spec to its image are built from this
 * list: adding a kind is its file, its test and one line here.
 */
import { ConvscopeError, listForMessage } from '../errors.js';
import { fourierRecord } from './fourier.js';
import { laplacianPyramidRecord } from './laplacian-pyramid.js';
import { macoRecord } from './maco.js';
import type { Parameterization } from './parameterization.js';
import type {
  BaseParameterizationSpec,
  ParameterizationContext,
  ParameterizationRecord,
} from './parameterization-record.js';
import { pixelRecord } from './pixel.js';

export const PARAMETERIZATIONS = [
  fourierRecord,
  pixelRecord,
  macoRecord,
  laplacianPyramidRecord,
] as const;

type SpecOf<R> = R extends ParameterizationRecord<infer S> ? S : never;
/** Any kind's spec (presets, manifests, the web form). */
export type ParameterizationSpec = SpecOf<(typeof PARAMETERIZATIONS)[number]>;

const records = PARAMETERIZATIONS as readonly ParameterizationRecord<BaseParameterizationSpec>[];

/** All `--parameterization` values, in the registry's order. */
export const PARAMETERIZATION_CHOICES: readonly string[] = records.flatMap((r) =>
  r.choices.map((c) => c.name),
);

/** What each `--parameterization` value is, from its record. */
export const PARAMETERIZATION_TITLES: Readonly<Record<string, string>> = Object.fromEntries(
  records.flatMap((r) => r.choices.map((c) => [c.name, c.description])),
);

function recordOf(kind: string): ParameterizationRecord<BaseParameterizationSpec> {
  const record = records.find((r) => r.kind === kind);
  if (!record) {
    throw new ConvscopeError(
      `unknown parameterization '${kind}'`,
      `use one of: ${listForMessage(records.map((r) => r.kind))}`,
    );
  }
  return record;
}

/** The `--parameterization` value a spec is. */
export const choiceOf = (spec: ParameterizationSpec): string => recordOf(spec.kind).choiceOf(spec);

/** The spec for a `--parameterization` value, keeping what carries over from `current`. */
export function specForChoice(choice: string, current: ParameterizationSpec): ParameterizationSpec {
  const record = records.find((r) => r.choices.some((c) => c.name === choice));
  if (!record) {
    throw new ConvscopeError(
      `unknown parameterization '${choice}'`,
      `use one of: ${PARAMETERIZATION_CHOICES.join(', ')}`,
    );
  }
  return record.specFor(choice, current) as ParameterizationSpec;
}

/**
 * @example createParameterization({ kind: 'fourier', sd: 0.01, decorrelate: true }, { shape, seed: 7 })
 */
export const createParameterization = (
  spec: ParameterizationSpec,
  context: ParameterizationContext,
): Parameterization => recordOf(spec.kind).build(spec, context);
