/**
 * `manifest.json` of an activation-maximization run (CLI.md's manifest), one type and one builder
 * for both faces: the CLI's `visualize` and the workbench's run download make their items here,
 * so file names, history names and fields cannot drift. Fields a face cannot know are optional
 * (the page draws no grid and runs no dead-unit restarts; the CLI has history only with
 * `--history`). Values are rounded to 6 significant digits, as people read them.
 */
import type { ImageStats } from '../evaluation/image-stats.js';
import { objectiveFromSpec } from '../objectives/objective-spec.js';
import type { ObjectiveSpec } from '../objectives/spec-types.js';
import type { OptimizationSettings } from '../optimize/settings.js';
import type { RunItem } from './run-items.js';

export interface ManifestHistoryEntry {
  step: number;
  file: string;
  activation: number;
  raw?: string;
}

export interface ManifestItem {
  index: number;
  layer?: string;
  label?: string;
  objective: string;
  /** The objective as data (objective-spec.ts): `objectiveFromSpec` rebuilds it. */
  spec: ObjectiveSpec;
  file: string;
  /**
   * The objective at the start, end and best step; with diversity, initial and final include
   * the diversity term and best is the unit's activation on the best image without it.
   */
  activation: { initial: number; final: number; best: number };
  bestStep: number;
  probability?: number;
  history?: ManifestHistoryEntry[];
  /**
   * What a person sees (image-stats.ts): saturated fraction of colour values, fraction of the
   * luminance's spectral power above 0.25 cycles/px, and the objective of the best image
   * without and with the run's transforms (mean of 8 seeded views; absent on queued runs).
   */
  stats: {
    saturated: number;
    highFrequency: number;
    objective: number;
    objectiveWithTransforms?: number;
  };
  /** With diversity: which of the unit's images this is (0..N-1). */
  facet?: number;
  /** A dead unit restarted from its best dataset patch, or that patch's whole image (dead-units.ts). */
  init?: 'patch' | 'image';
  patch?: { image: string; box: [number, number, number, number]; activation: number };
  /** A unit whose activation stayed 0: its tile is flat and shows nothing; the reason. */
  dead?: true;
  reason?: string;
  /** With --raw: the `.npy` of the image's float values (the path written, DIR joined with `<stem>.npy`). */
  raw?: string;
}

export interface Manifest {
  tool: string;
  model: string;
  layer: string;
  preset: string;
  steps: number;
  size: number;
  seed: number;
  backend: string;
  /** `onnx` or `tfjs`, and its details (version, threads). */
  engine: string;
  engineDetails: string;
  seconds: number;
  aborted: boolean;
  /** Worker threads used; with more than one, shard s of the items used seed + s. */
  workers: number;
  /** Items per forward/backward pass, when cut smaller than a worker's share. */
  batch?: number;
  settings: OptimizationSettings;
  /** The learning rate as run (the Fourier rate is scaled below 128 px). */
  effectiveLearningRate: number;
  items: ManifestItem[];
  /** The labeled grid of all images (the CLI draws one; the page shows tiles instead). */
  grid?: string;
}

/** What a run measured, one entry per image (core `maximize`'s result, plus statistics). */
export interface RunOutcome {
  initial: number[];
  final: number[];
  /** The objective of each best image (with the diversity term, when there is one). */
  bestScores: number[];
  bestSteps: number[];
  /** With diversity: each best image's unit activation without the term. */
  unitScores?: number[];
  /** Each best image's objective through the run's transforms, when measured. */
  transformedScores?: number[];
  /** What a person sees in each best image. */
  stats: ImageStats[];
}

/** 6 significant digits. */
export const round6 = (v: number): number => Number(v.toPrecision(6));

/** The best image's file: `<stem>.png`. */
export const itemFile = (stem: string): string => `${stem}.png`;

/** A history frame's file: `history/<stem>_step00020.png`. */
export const historyFile = (stem: string, step: number): string =>
  `history/${stem}_step${String(step).padStart(5, '0')}.png`;

/** Image i's `stats`. */
export function itemStats(outcome: RunOutcome, i: number): ManifestItem['stats'] {
  const stats = outcome.stats[i];
  return {
    saturated: round6(stats.saturated),
    highFrequency: round6(stats.highFrequency),
    objective: round6(outcome.bestScores[i]),
    ...(outcome.transformedScores
      ? { objectiveWithTransforms: round6(outcome.transformedScores[i]) }
      : {}),
  };
}

/**
 * The manifest entry of image i (item `item`): what both faces know; a face adds its own fields
 * (history, probability, dead-unit restarts, raw arrays) with `extra`.
 * @example manifestItem(items[0], 0, { ...result, stats: batchStats(result.best) })
 */
export function manifestItem(
  item: RunItem,
  i: number,
  outcome: RunOutcome,
  extra: Partial<ManifestItem> = {},
): ManifestItem {
  return {
    index: item.index,
    ...(item.layer ? { layer: item.layer } : {}),
    ...(item.label ? { label: item.label } : {}),
    objective: objectiveFromSpec(item.spec).description,
    spec: item.spec,
    file: itemFile(item.stem),
    activation: {
      initial: round6(outcome.initial[i]),
      final: round6(outcome.final[i]),
      best: round6((outcome.unitScores ?? outcome.bestScores)[i]),
    },
    ...(item.facet === undefined ? {} : { facet: item.facet }),
    bestStep: outcome.bestSteps[i],
    stats: itemStats(outcome, i),
    ...extra,
  };
}

/** A history entry of image i at `step` (file name `historyFile(stem, step)`). */
export function historyEntry(stem: string, step: number, activation: number): ManifestHistoryEntry {
  return { step, file: historyFile(stem, step), activation: round6(activation) };
}

/** The run's layers as the manifest names them: `block1_conv1,block2_conv1`, or `logits`. */
export function manifestLayer(items: RunItem[]): string {
  return [...new Set(items.map((i) => i.layer ?? 'logits'))].join(',');
}
