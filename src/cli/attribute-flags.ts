/**
 * What `attribute`'s flags mean together. The method options (--samples, --noise, --base,
 * --steps, --baseline, --cam-layer, ...) are generated from the method records' options
 * (core/methods/attribution/registry.ts), so a new method's options get flags, help, range
 * checks and the refusal below with no code here. A unit is `--layer L --filters SPEC` (every
 * method explains it; the old `--filter K` is an alias); otherwise the target is `--class SPEC`
 * (or the predicted class), and `--layer L` alone names the layer the CAM methods explain at
 * (the same as `--cam-layer L`, its older name): every Grad-CAM tool takes the layer and the
 * target as two choices. An option that would be ignored is refused instead, with what to
 * write: `--layer` without `--filters` for the methods that have no such layer, `--position`
 * with a class target (a class has no activation map), and any method option (--cam-layer,
 * --samples, --noise, --seed, ...) that none of the chosen methods reads.
 */
import type { Command } from 'commander';
import { ConvscopeError } from '../core/errors.js';
import {
  checkOption,
  type AttributionRecord,
  type MethodOption,
} from '../core/methods/attribution/method-record.js';
import { ATTRIBUTION_RECORDS, attributionRecord } from '../core/methods/attribution/registry.js';
import { kebab } from '../core/optimize/setting-options.js';

export interface AttributeFlags {
  layer?: string;
  filters?: string;
  class?: string;
  camLayer?: string;
  position?: string;
  [option: string]: unknown;
}

export interface AttributeChoice {
  /** The units to explain (`--layer --filters`: a SPEC of channels), else undefined: classes are. */
  unit?: { layer: string; channels: string };
  /** The CAM methods' layer (`--cam-layer`, or `--layer` without `--filters`). */
  camLayer?: string;
}

/** Every method option once (by key), in record order: the flags `attribute` generates. */
export const METHOD_OPTIONS: readonly MethodOption[] = [
  ...new Map(ATTRIBUTION_RECORDS.flatMap((r) => r.options).map((o) => [o.key, o])).values(),
];

/** Adds a flag per method option (`--cam-layer <name>`, `--samples <n>` ...), defaults in the help. */
export function addMethodOptions(command: Command): Command {
  for (const option of METHOD_OPTIONS) {
    if (option.shared) continue;
    const flags = `--${kebab(option.key)} ${option.placeholder ?? '<value>'}`;
    const fallback = option.default === undefined ? undefined : String(option.default);
    command.option(flags, option.description, fallback);
  }
  return command;
}

/** The options a method reads: its own and, for a wrapper, those of the method it wraps. */
function optionsOf(record: AttributionRecord, flags: AttributeFlags): readonly MethodOption[] {
  const base = record.baseOf?.(flags);
  return base ? [...record.options, ...base.options] : record.options;
}

const reads = (method: string, key: string, flags: AttributeFlags) =>
  optionsOf(attributionRecord(method), flags).some((o) => o.key === key);

/** Refuses options that the chosen methods would ignore (`given`: what the user typed). */
function checkMethodOptions(
  flags: AttributeFlags,
  methods: readonly string[],
  given: ReadonlySet<string>,
): void {
  if (flags.camLayer !== undefined && !methods.some((m) => reads(m, 'camLayer', flags))) {
    throw new ConvscopeError(
      `--cam-layer is Grad-CAM's layer; ${methods.join(', ')} ${methods.length === 1 ? 'has' : 'have'} none`,
      'add gradcam to --method, or leave --cam-layer out',
    );
  }
  const unused = METHOD_OPTIONS.filter(
    (o) => o.key !== 'camLayer' && given.has(o.key) && !methods.some((m) => reads(m, o.key, flags)),
  );
  // One line per group of options with the same readers: "--samples, --seed apply to smoothgrad only".
  const groups = new Map<string, string[]>();
  for (const option of unused) {
    const readers = ATTRIBUTION_RECORDS.filter((r) => r.options.includes(option)).map(
      (r) => r.name,
    );
    groups.set(readers.join(', '), [...(groups.get(readers.join(', ')) ?? []), option.key]);
  }
  for (const [readers, keys] of groups) {
    const names = keys.map((k) => `--${kebab(k)}`).join(', ');
    throw new ConvscopeError(
      `${names} ${keys.length === 1 ? 'applies' : 'apply'} to ${readers} only, and --method is ${methods.join(',')}`,
      `add ${readers.replace(/, ([^,]*)$/, ' or $1')} to --method, or leave ${names} out`,
    );
  }
}

/**
 * The method options as values: each flag's text checked against its record's range or choices.
 *
 * @example methodOptionValues({ samples: '4', noise: '0.1' }) // { samples: 4, noise: 0.1, ... }
 */
export function methodOptionValues(flags: AttributeFlags): Record<string, number | string> {
  const values: Record<string, number | string> = {};
  for (const option of METHOD_OPTIONS) {
    const text = flags[option.key];
    if (text === undefined || option.layer) continue;
    values[option.key] = checkOption(option, text, `--${kebab(option.key)}`);
  }
  return values;
}

/**
 * @example attributeFlags({ layer: 'block3_conv2', class: '0' }, ['gradcam'])
 * // { camLayer: 'block3_conv2' }
 */
export function attributeFlags(
  flags: AttributeFlags,
  methods: readonly string[],
  given: ReadonlySet<string> = new Set(),
): AttributeChoice {
  checkMethodOptions(flags, methods, given);
  if (flags.filters !== undefined) {
    if (flags.layer === undefined) {
      throw new ConvscopeError('--filters needs --layer', 'e.g. --layer block2_conv1 --filters 5');
    }
    if (flags.class !== undefined) {
      throw new ConvscopeError(
        'give either --layer/--filters (units) or --class, not both',
        'Grad-CAM of a class at a layer: --method gradcam --layer L --class C',
      );
    }
    return { unit: { layer: flags.layer, channels: flags.filters }, camLayer: flags.camLayer };
  }
  if (flags.position !== undefined) {
    throw new ConvscopeError(
      `--position picks a place in a unit's activation map; a class target has none`,
      'explain a unit with --layer L --filters K --position ..., or leave --position out',
    );
  }
  if (flags.layer === undefined) return { camLayer: flags.camLayer };
  const others = methods.filter((m) => !reads(m, 'camLayer', flags));
  if (others.length > 0) {
    throw new ConvscopeError(
      `--layer without --filters is the layer Grad-CAM explains at; ${others.join(', ')} ${others.length === 1 ? 'has' : 'have'} no such layer`,
      `for a unit: --layer ${flags.layer} --filters K; for a class: --class C without --layer`,
    );
  }
  if (flags.camLayer !== undefined && flags.camLayer !== flags.layer) {
    throw new ConvscopeError(
      `--layer ${flags.layer} and --cam-layer ${flags.camLayer} both name Grad-CAM's layer`,
      'give one of them',
    );
  }
  return { camLayer: flags.layer };
}
