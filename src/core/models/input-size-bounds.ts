/**
 * Which input sizes a fully convolutional model can render at, for a given target layer and
 * batch: the smallest size at which every layer from the input up to the targets still has a
 * non-empty map (each layer's own `computeOutputShape` walks the layer graph, so `valid`
 * convolutions, pooling, padding and cropping count exactly as TF.js will compute them), and
 * the largest whose activations for the batch fit the memory left beside the weights (the WASM
 * heap is 4 GiB per backend). `filters` in the CLI and the workbench's optimize form check `--size` here before
 * anything is built, instead of failing deep inside the backend.
 */
import { ConvscopeError } from '../errors.js';
import type { LayerNode } from './layer-graph.js';

/** The WASM backend's heap: 4 GiB per backend (one per worker thread). */
export const HEAP_BYTES = 4 * 2 ** 30;

/** Heap the backend itself, the parameterization and the optimizer state take at small sizes. */
const BASELINE_BYTES = 256 * 2 ** 20;

/** Sizes tried when searching for bounds. */
const SEARCH_LIMIT = 1 << 16;

/**
 * Heap bytes of one optimization step per float32 activation value: `SUM_FACTOR` for every
 * layer up to the target plus `LARGEST_FACTOR` for the largest one (the backward pass holds
 * several gradients of it at once). Measured as the WASM heap's growth over two steps of
 * VGG16 (random weights, lucid preset): block1_conv1 at 512 and 1024 px, block3_conv1 at
 * 512, block5_conv3 at 256 with batches 1 and 4 took 8.7 to 12.6 times the forward
 * activations, and these factors bound them all; block3_conv1 at 128 px in a batch of 32
 * filled 3.9 of the 4 GiB (refused here), block1_conv1 at 1074 px (the largest allowed) ran,
 * at 2100 px it ran out of memory.
 */
const SUM_FACTOR = 9;
const LARGEST_FACTOR = 4;

type Shape = (number | null)[];

/** A model as these bounds need it: its layer graph and input channels. */
export interface SizedModel {
  layers: readonly LayerNode[];
  input: { channels: number };
}

/** The targets and their ancestors, in execution order (every layer when `targets` is empty). */
function layersUpTo(layers: readonly LayerNode[], targets: readonly string[]): LayerNode[] {
  if (targets.length === 0) return [...layers];
  const byName = new Map(layers.map((n) => [n.name, n]));
  const wanted = new Set<string>();
  const visit = (name: string) => {
    if (wanted.has(name)) return;
    wanted.add(name);
    for (const input of byName.get(name)?.inputs ?? []) visit(input);
  };
  for (const target of targets) visit(target);
  return layers.filter((n) => wanted.has(n.name));
}

/** Output shapes (without batch) of `layers` for a size x size input, as TF.js computes them. */
function shapesAt(layers: readonly LayerNode[], size: number, channels: number): Map<string, Shape> {
  const shapes = new Map<string, Shape>();
  for (const node of layers) {
    let shape: Shape;
    if (node.inputs.length === 0) shape = [null, size, size, channels];
    else {
      const inputs = node.inputs.map((name) => shapes.get(name)!);
      try {
        shape = node.layer.computeOutputShape(inputs.length === 1 ? inputs[0] : inputs) as Shape;
      } catch {
        shape = [null, 0, 0, 0];
      }
      if (Array.isArray(shape[0])) shape = shape[0] as unknown as Shape;
    }
    shapes.set(node.name, shape);
  }
  return new Map([...shapes].map(([name, shape]) => [name, shape.slice(1)]));
}

/** The first layer whose map is empty at `size` (null when none is). */
function firstEmpty(layers: readonly LayerNode[], size: number, channels: number): string | null {
  const shapes = shapesAt(layers, size, channels);
  for (const node of layers) {
    const shape = shapes.get(node.name)!;
    if (shape.some((d) => d !== null && !(d >= 1))) return node.name;
  }
  return null;
}

/**
 * The smallest input size (px, square) at which every layer up to `targets` is non-empty, or
 * null when there is none below 65536.
 *
 * @example smallestInputSize(vgg16NoTop, ['block5_conv3']) // 16
 */
export function smallestInputSize(model: SizedModel, targets: readonly string[]): number | null {
  const layers = layersUpTo(model.layers, targets);
  const channels = model.input.channels;
  // Map sizes never shrink as the input grows, so the first size that works is the bound.
  for (let size = 1; size <= SEARCH_LIMIT; size *= 2) {
    if (firstEmpty(layers, size, channels) !== null) continue;
    let lo = Math.floor(size / 2) + 1;
    let hi = size;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (firstEmpty(layers, mid, channels) === null) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
  return null;
}

/**
 * Estimated heap bytes one optimization step of `batch` images of size x size needs up to
 * `targets` (see SUM_FACTOR).
 *
 * @example activationBytes(vgg16NoTop, ['block5_conv3'], 128, 1) // ~ 190 MB
 */
export function activationBytes(
  model: SizedModel,
  targets: readonly string[],
  size: number,
  batch: number,
): number {
  const layers = layersUpTo(model.layers, targets);
  const shapes = shapesAt(layers, size, model.input.channels);
  let sum = 0;
  let largest = 0;
  for (const shape of shapes.values()) {
    const values = shape.reduce<number>((a, d) => a * Math.max(0, d ?? 1), 1);
    sum += values;
    largest = Math.max(largest, values);
  }
  return (sum * SUM_FACTOR + largest * LARGEST_FACTOR) * 4 * batch;
}

/** Heap left for activations once the model's weights and the baseline are in (bytes). */
export function activationBudget(model: SizedModel): number {
  const weights = model.layers.reduce((n, node) => n + node.layer.countParams(), 0) * 4;
  return Math.max(0, HEAP_BYTES - BASELINE_BYTES - weights);
}

/** The largest size (px) whose step fits `budget` for `batch` images (0 when none does). */
export function largestInputSize(
  model: SizedModel,
  targets: readonly string[],
  batch: number,
  budget = activationBudget(model),
): number {
  let lo = 0;
  let hi = SEARCH_LIMIT;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (activationBytes(model, targets, mid, batch) <= budget) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The largest batch of size x size images whose step fits `budget` (0 when not even one). */
export function largestBatch(
  model: SizedModel,
  targets: readonly string[],
  size: number,
  budget = activationBudget(model),
): number {
  return Math.floor(budget / activationBytes(model, targets, size, 1));
}

const gigabytes = (bytes: number) =>
  `${(bytes / 2 ** 30).toFixed(bytes < 10 * 2 ** 30 ? 1 : 0)} GiB`;

/** What the targets are called in messages. */
const describe = (targets: readonly string[]) =>
  targets.length === 0 ? 'this model' : targets.join(', ');

/**
 * Throws a ConvscopeError that names the bound when `size` is not a whole number, is below
 * the smallest size that keeps every layer up to `targets` non-empty, or needs more than
 * `budget` bytes for a batch of `batch`.
 *
 * @example checkInputSize(vgg16NoTop, 15, { targets: ['block5_conv3'] })
 * // throws: --size 15 is too small for block5_conv3: block4_pool would be 0x0; the smallest size is 16
 */
export function checkInputSize(
  model: SizedModel,
  size: number,
  options: {
    targets?: readonly string[];
    batch?: number;
    budget?: number;
    /** The model's own, fixed size: only the batch can change. */
    fixedSize?: boolean;
  } = {},
): void {
  const targets = options.targets ?? [];
  const batch = options.batch ?? 1;
  const budget = options.budget ?? activationBudget(model);
  if (!Number.isInteger(size)) {
    throw new ConvscopeError(`--size must be a whole number of pixels, got '${size}'`);
  }
  const layers = layersUpTo(model.layers, targets);
  const smallest = smallestInputSize(model, targets);
  if (smallest === null) {
    throw new ConvscopeError(`${describe(targets)} has an empty map at every size`);
  }
  if (size < smallest) {
    const empty = size >= 1 ? firstEmpty(layers, size, model.input.channels) : null;
    throw new ConvscopeError(
      `--size ${size} is too small for ${describe(targets)}${empty ? `: ${empty} would be 0x0` : ''}; the smallest size is ${smallest}`,
      `use --size ${smallest} or more`,
    );
  }
  const bytes = activationBytes(model, targets, size, batch);
  if (bytes > budget) {
    const largest = options.fixedSize ? 0 : largestInputSize(model, targets, batch, budget);
    const batches = largestBatch(model, targets, size, budget);
    const ways = [
      largest >= smallest ? `--size ${largest} or less` : '',
      batch > 1 && batches >= 1 ? `--batch ${batches} or less` : '',
    ].filter(Boolean);
    throw new ConvscopeError(
      `${options.fixedSize ? 'a' : `--size ${size} is too large: a`} batch of ${batch} at ${size} px needs about ${gigabytes(bytes)} up to ${describe(targets)}; ${gigabytes(budget)} of the 4 GiB backend heap is free beside the weights`,
      ways.length > 0 ? `use ${ways.join(', or ')}` : 'use a smaller model or target layer',
    );
  }
}
