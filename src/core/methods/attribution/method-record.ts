/**
 * The shape of an attribution method: a record with its name, the paper it comes from, how its
 * values are drawn, its options (with defaults and ranges, from which the CLI generates flags and
 * checks) and `run`, which maps a batch of images to a batch of attributions. The registry
 * (registry.ts) lists the records; dispatch, the figure's captions, the CLI and the workbench
 * all read them, so a new method is one file that exports a record, plus its test.
 */
import type * as tf from '@tensorflow/tfjs';
import type { NetworkEngine } from '../../engines/network-engine.js';
import { ConvscopeError } from '../../errors.js';
import type { VisModel } from '../../models/vis-model.js';
import type { ResolvedTarget } from '../attribution-target.js';

/**
 * How values are drawn (attribution-image.ts): `signed` an image-like projection with zero at
 * mid-gray; `magnitude` max over channels of |value| in viridis; `heat` a one-channel map >= 0
 * as a jet overlay on a gray copy of the image.
 */
export type AttributionDisplay = 'signed' | 'magnitude' | 'heat';

/** One option of a method; the CLI flag is `--` + the kebab-case key. */
export interface MethodOption {
  key: string;
  description: string;
  /** The value when the option is not given (undefined: the method chooses, e.g. a layer). */
  default?: number | string;
  /** Allowed values (a choice); else a number (or, with `layer`, a layer name). */
  choices?: readonly string[];
  /** A layer name of the model. */
  layer?: boolean;
  /** Whole numbers only. */
  integer?: boolean;
  min?: number;
  max?: number;
  /** The CLI flag's value name, e.g. `<n>`. */
  placeholder?: string;
  /** The command defines this flag itself (`--seed`); the record only says it reads it. */
  shared?: boolean;
}

/** What a method's `run` gets. */
export interface MethodInput {
  model: VisModel;
  /** Images [n, h, w, c] in [0, 1]: one image, or noisy copies of it (noise-tunnel.ts). */
  images: tf.Tensor4D;
  target: ResolvedTarget;
  /** The method's options, checked and with defaults filled in (`settle`). */
  options: Record<string, number | string | undefined>;
  /** Runs the network when it is not TF.js. */
  engine?: NetworkEngine;
  /** Seed of any noise the method draws. */
  seed: number;
  /** The caller's options as given (a wrapper settles its base method's from them). */
  given: Readonly<Record<string, unknown>>;
}

/** What a method returns, one entry per input image. */
export interface MethodOutput {
  /** How to draw these values, when not the record's `display` (a wrapper's, e.g.). */
  display?: AttributionDisplay;
  /** What these values are, when not the record's `quantity`. */
  quantity?: string;
  /** [n, h, w, c] (an input gradient) or [n, h, w, 1] (a map upsampled to the image). */
  values: tf.Tensor4D;
  /** CAM methods: the layer used and its map [n, h', w', 1] before upsampling. */
  camLayer?: string;
  cam?: tf.Tensor4D;
}

export interface AttributionRecord {
  /** The `--method` name. */
  name: string;
  /** What a person calls it. */
  title: string;
  /** The paper (authors, year, title). */
  paper: string;
  display: AttributionDisplay;
  /** What the values are (the colour bar's caption). */
  quantity: string;
  options: readonly MethodOption[];
  /** Why it cannot run on an engine other than TF.js; absent: it can. */
  needsTfjs?: string;
  /** Cheap enough to recompute on every click in the workbench. */
  interactive: boolean;
  /** A wrapper (the noise tunnel): the method it wraps under these options, whose options it takes too. */
  baseOf?(options: Readonly<Record<string, unknown>>): AttributionRecord;
  run(input: MethodInput): Promise<MethodOutput>;
}

/** What `runMethod` gets: `given` are the caller's options, for this method and any it wraps. */
export type MethodCall = Omit<MethodInput, 'options'> & {
  given: Readonly<Record<string, unknown>>;
};

/**
 * Runs a method: settles its options, refuses an engine it cannot run on, then `run`.
 *
 * @example const { values } = await runMethod(guided, { model, images, target, seed: 0, given: {} });
 */
export async function runMethod(
  record: AttributionRecord,
  call: MethodCall,
): Promise<MethodOutput> {
  const options = settle(record, call.given);
  if (record.needsTfjs && call.engine && call.engine.name !== 'tfjs') {
    throw new ConvscopeError(
      `${record.name} runs on TF.js only: ${record.needsTfjs}`,
      `use --engine tfjs for ${record.name}`,
    );
  }
  return record.run({ ...call, options });
}

/** The option values a method runs with: `given` checked against its options, defaults filled in. */
export function settle(
  record: AttributionRecord,
  given: Readonly<Record<string, unknown>>,
): Record<string, number | string | undefined> {
  const values: Record<string, number | string | undefined> = {};
  for (const option of record.options) {
    const value = given[option.key] ?? option.default;
    values[option.key] =
      value === undefined
        ? undefined
        : checkOption(option, value, `${record.name}'s ${option.key}`);
  }
  return values;
}

/**
 * `value` checked against an option (a choice, a layer name, or a number in range), as a
 * number or a string; `what` names it in the error.
 *
 * @example checkOption({ key: 'samples', description: '', integer: true, min: 1 }, '4', '--samples') // 4
 */
export function checkOption(option: MethodOption, value: unknown, what: string): number | string {
  if (option.choices) {
    if (!option.choices.includes(String(value))) {
      throw new ConvscopeError(
        `${what} must be one of ${option.choices.join(', ')}, got '${String(value)}'`,
      );
    }
    return String(value);
  }
  if (option.layer) return String(value);
  const n = typeof value === 'number' ? value : Number(value);
  const low = option.min ?? -Infinity;
  const high = option.max ?? Infinity;
  if (!Number.isFinite(n) || n < low || n > high || (option.integer && !Number.isInteger(n))) {
    const kind = option.integer ? 'a whole number' : 'a number';
    const range = [
      Number.isFinite(low) ? `>= ${low}` : '',
      Number.isFinite(high) ? `<= ${high}` : '',
    ]
      .filter(Boolean)
      .join(' and ');
    throw new ConvscopeError(
      `${what} must be ${kind}${range ? ` ${range}` : ''}, got '${String(value)}'`,
    );
  }
  return n;
}
