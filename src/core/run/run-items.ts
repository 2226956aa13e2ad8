/**
 * The items of a run, as both faces (CLI and web workbench) choose and name them: filters of a
 * layer or classes of a classifier, each with its objective as data and a file stem. One class
 * grammar (`all`, ranges, indices and names mixed, each once, in the order given), one stem per
 * item (`block3_conv1_5`, `class_3_bell-pepper`), facets of a diversity run (`<stem>_d<j>`).
 * It takes counts and labels, not a model, so a page that only has a model summary can call it.
 */
import { ConvscopeError, listForMessage } from '../errors.js';
import { parseIndexSpec } from '../methods/index-spec.js';
import type { ObjectiveSpec } from '../objectives/spec-types.js';

/** One image a run makes (or one unit: with diversity, each becomes N facets). */
export interface RunItem {
  /** The objective as data (rebuilt in workers and by anyone with the manifest). */
  spec: ObjectiveSpec;
  /** Channel or class index (the manifest item's `index`, which CLI.md fixes). */
  index: number;
  /** Layer name, or undefined for classes. */
  layer?: string;
  /** Class name (classes of a model with names). */
  label?: string;
  /** File name stem, e.g. `block3_conv1_5` or `class_3_bell-pepper`. */
  stem: string;
  /** With diversity: which of the unit's images this is (0..N-1). */
  facet?: number;
}

/** A file-name slug of a class name: 'T-shirt/top' -> 't-shirt-top', 'Ankle boot' -> 'ankle-boot'. */
export function classSlug(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/**
 * One class by index or name (case-insensitive); errors say the range or the names.
 * @example classIndexOf('bag', 10, FASHION_MNIST_CLASSES) // 8
 */
export function classIndexOf(
  spec: string | number,
  classes: number,
  labels?: readonly string[],
): number {
  const asNumber = typeof spec === 'number' ? spec : /^\d+$/.test(spec.trim()) ? Number(spec) : NaN;
  if (!Number.isNaN(asNumber)) {
    if (asNumber < 0 || asNumber >= classes) {
      throw new ConvscopeError(
        `class ${asNumber} is out of range; the model has ${classes} classes (0-${classes - 1})`,
      );
    }
    return asNumber;
  }
  const wanted = String(spec).trim().toLowerCase();
  const index = labels?.findIndex((l) => l.toLowerCase() === wanted) ?? -1;
  if (index < 0) {
    const known = labels
      ? `; classes are: ${listForMessage([...labels])}`
      : ' (the model has no class names)';
    throw new ConvscopeError(`unknown class '${spec}'${known}`);
  }
  return index;
}

/**
 * Class indices from `all`, ranges, indices and names (`0-3,Bag,ankle boot`), in the order
 * given, each once.
 * @example parseClassSpec('0-2,Bag', 10, FASHION_MNIST_CLASSES) // [0, 1, 2, 8]
 */
export function parseClassSpec(
  spec: string,
  classes: number,
  labels?: readonly string[],
): number[] {
  const out: number[] = [];
  for (const part of spec.split(',')) {
    const token = part.trim();
    if (token === '') continue;
    const indices = /^(all|\d+(\s*-\s*\d+)?)$/i.test(token)
      ? parseIndexSpec(token, classes, 'class')
      : [classIndexOf(token, classes, labels)];
    for (const i of indices) if (!out.includes(i)) out.push(i);
  }
  if (out.length === 0)
    throw new ConvscopeError(`no classes in '${spec}'`, 'use e.g. all, 0-9 or a class name');
  return out;
}

/** The stem of channel `channel` of `layer`: `block3_conv1_5`. */
export const channelStem = (layer: string, channel: number): string => `${layer}_${channel}`;

/** The stem of class `index`: `class_3_bell-pepper`, or `class_3` without a name. */
export const classStem = (index: number, label?: string): string =>
  `class_${index}${label ? `_${classSlug(label)}` : ''}`;

/**
 * The channels of `layer` named by `spec` (`0-7`, `3,9`, `all`), maximizing the channel mean
 * (or the center unit with `neuron`).
 * @example channelItems('block2_conv1', 32, '0-2') // stems block2_conv1_0 .. block2_conv1_2
 */
export function channelItems(
  layer: string,
  channels: number,
  spec: string,
  neuron = false,
): RunItem[] {
  return parseIndexSpec(spec, channels, 'channel', `layer '${layer}'`).map((channel) => ({
    spec: { kind: neuron ? 'neuron' : 'channel', layer, channel },
    index: channel,
    layer,
    stem: channelStem(layer, channel),
  }));
}

/**
 * The classes named by `spec` (the class grammar above), with their names when the model has them.
 * @example classItems('0,Bag', 10, FASHION_MNIST_CLASSES) // stems class_0_t-shirt-top, class_8_bag
 */
export function classItems(spec: string, classes: number, labels?: readonly string[]): RunItem[] {
  return parseClassSpec(spec, classes, labels).map((index) => {
    const label = labels?.[index];
    return {
      spec: { kind: 'class', index, label },
      index,
      ...(label === undefined ? {} : { label }),
      stem: classStem(index, label),
    };
  });
}

/**
 * Each item N times (unit-major, the order `maximize` expands a diversity run), stems
 * `<stem>_d<j>`; the items as they are for N <= 1.
 */
export function facetItems<T extends RunItem>(
  items: T[],
  images: number,
): (T & { facet?: number })[] {
  if (images <= 1) return items;
  return items.flatMap((item) =>
    Array.from({ length: images }, (_, j) => ({ ...item, stem: `${item.stem}_d${j}`, facet: j })),
  );
}
