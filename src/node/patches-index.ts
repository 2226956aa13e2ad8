/**
 * The saved state of a patch scan (`patches-index.json`): the file list it is valid for, the
 * files that would not decode, and per layer the top-k lists and which files they already
 * cover. Coverage is a prefix (`scanned`) plus, while a parallel scan runs, the ranges finished
 * out of order beyond it (`ranges`), so an interrupted scan resumes without rescanning any
 * finished shard and without offering an image twice. Also plans the shards still to scan:
 * runs of consecutive files that need the same layers, at most `size` files each.
 */
import { readFile } from 'node:fs/promises';
import type { TopEntry } from '../core/methods/top-k.js';
import type { VisModel } from '../core/models/vis-model.js';
import type { Fit } from './images.js';

export interface LayerIndex {
  k: number;
  /** Files (a prefix of `files`) already scanned for this layer. */
  scanned: number;
  /** Ranges [start, end) of files scanned beyond the prefix, sorted, disjoint (may be absent). */
  ranges?: [number, number][];
  /** Per channel, the top-k entries; `image` indexes `files`. */
  top: TopEntry[][];
}

export interface PatchIndex {
  version: 1;
  /** Identifies what the entries are valid for: model, input, fit and file list. */
  key: string;
  files: string[];
  skipped: { file: string; error: string }[];
  layers: Record<string, LayerIndex>;
}

/** A run of files [start, end) to scan for `layers`. */
export interface ShardPlan {
  start: number;
  end: number;
  layers: string[];
}

/** The key of an index: the model, its input, the fit and the file list. */
export function indexKey(model: VisModel, files: string[], fit: Fit): string {
  const { height, width, channels, range, preprocess } = model.input;
  return JSON.stringify([model.name, height, width, channels, range, preprocess, fit, files]);
}

/** The index saved in `file` when it is valid for `key`, else null. */
export async function readIndex(file: string | undefined, key: string): Promise<PatchIndex | null> {
  if (!file) return null;
  const text = await readFile(file, 'utf8').catch(() => null);
  if (text === null) return null;
  try {
    const index = JSON.parse(text) as PatchIndex;
    return index.version === 1 && index.key === key ? index : null;
  } catch {
    return null;
  }
}

/** Whether file `i` is already covered by the layer's lists. */
export function isScanned(layer: LayerIndex, i: number): boolean {
  return i < layer.scanned || (layer.ranges ?? []).some(([s, e]) => s <= i && i < e);
}

/** Records files [start, end) as covered, folding ranges that touch the prefix into it. */
export function markScanned(layer: LayerIndex, start: number, end: number): void {
  const ranges = [...(layer.ranges ?? []), [start, end] as [number, number]].sort(
    (a, b) => a[0] - b[0],
  );
  const merged: [number, number][] = [];
  let scanned = layer.scanned;
  for (const [s, e] of ranges) {
    const last = merged[merged.length - 1];
    if (s <= scanned) scanned = Math.max(scanned, e);
    else if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else merged.push([s, e]);
  }
  layer.scanned = scanned;
  const rest = merged.filter(([, e]) => e > scanned);
  if (rest.length > 0) layer.ranges = rest;
  else delete layer.ranges;
}

/**
 * The shards still to scan for `layers` over `count` files, in file order.
 *
 * @example planShards(index, ['block2_conv1'], 1000, 32) // [{ start: 0, end: 32, ... }, ...]
 */
export function planShards(
  index: PatchIndex,
  layers: string[],
  count: number,
  size: number,
): ShardPlan[] {
  const shards: ShardPlan[] = [];
  let current: ShardPlan | null = null;
  for (let i = 0; i < count; i++) {
    const need = layers.filter((name) => !isScanned(index.layers[name], i));
    if (need.length === 0) {
      current = null;
      continue;
    }
    const extend =
      current !== null &&
      current.end - current.start < size &&
      current.layers.join('\n') === need.join('\n');
    if (extend) current!.end = i + 1;
    else {
      current = { start: i, end: i + 1, layers: need };
      shards.push(current);
    }
  }
  return shards;
}
