/**
 * The workbench run's `manifest.json`: core run-manifest.ts's builder fed with what the page
 * recorded (its items, every frame, and the worker's result), so a run downloaded from the page
 * names its files and fields as the CLI's `visualize` does. While the run goes on, the outcome
 * so far comes from the frames (best frame per item, statistics of the newest image).
 */
import { imageStats } from '../../../src/core/evaluation/image-stats.js';
import type { OptimizationSettings } from '../../../src/core/optimize/settings.js';
import type { RunItem as CoreRunItem } from '../../../src/core/run/run-items.js';
import {
  historyEntry,
  manifestItem,
  round6,
  type Manifest,
  type RunOutcome,
} from '../../../src/core/run/run-manifest.js';
import type { BackendInfo, MaximizeDone, Rgba } from '../bridge/protocol.js';

/** A run's item: core's (objective, index, stem, ...) and the tile's caption. */
export type RunItem = CoreRunItem & { caption: string };

export interface RunFrame {
  step: number;
  scores: number[];
  images: Rgba[];
}

export interface RunRecord {
  model: string;
  layer: string;
  preset: string;
  seed: number;
  items: RunItem[];
  frames: RunFrame[];
  done?: MaximizeDone;
  backend: BackendInfo;
}

/** The run's manifest; `settings`, `size` and the rate come with the result (absent before). */
export type WebManifest = Omit<Manifest, 'settings' | 'size' | 'effectiveLearningRate'> &
  Partial<Pick<Manifest, 'settings' | 'size' | 'effectiveLearningRate'>>;

/** An RGBA image's colour values in [0, 1] (RGB), for its statistics. */
function rgbStats(image: Rgba) {
  const values = new Float32Array(image.width * image.height * 3);
  for (let p = 0; p < image.width * image.height; p++)
    for (let c = 0; c < 3; c++) values[p * 3 + c] = image.data[p * 4 + c] / 255;
  return imageStats(values, image.height, image.width, 3);
}

/** What the frames show so far: each item's best frame, and the newest images' statistics. */
function framesOutcome(frames: RunFrame[]): RunOutcome {
  const last = frames[frames.length - 1];
  const count = last?.scores.length ?? 0;
  const bestFrame = Array.from({ length: count }, (_, i) =>
    frames.reduce((a, f) => (f.scores[i] > a.scores[i] ? f : a)),
  );
  return {
    initial: frames[0]?.scores ?? [],
    final: last?.scores ?? [],
    bestScores: bestFrame.map((f, i) => f.scores[i]),
    bestSteps: bestFrame.map((f) => f.step),
    stats: last?.images.map(rgbStats) ?? [],
  };
}

/** CLI.md's manifest for the run (history entries name the files of the run's zip). */
export function runManifest(run: RunRecord, tool: string): WebManifest {
  const done = run.done;
  const outcome: RunOutcome = done ?? framesOutcome(run.frames);
  return {
    tool,
    model: run.model,
    layer: run.layer,
    preset: run.preset,
    steps: done?.steps ?? run.frames.at(-1)?.step ?? 0,
    ...(done ? { size: done.size } : {}),
    seed: run.seed,
    backend: run.backend.backend,
    engine: 'tfjs',
    engineDetails: `TF.js ${run.backend.backend} in a Web Worker${run.backend.backend === 'wasm' ? `, ${run.backend.threads} threads` : ''}`,
    seconds: round6(done?.seconds ?? 0),
    aborted: done ? done.aborted : true,
    workers: 1,
    ...(done
      ? {
          settings: done.settings as OptimizationSettings,
          effectiveLearningRate: done.effectiveLearningRate,
        }
      : {}),
    items: run.items.map((item, i) =>
      manifestItem(item, i, outcome, {
        history: run.frames.map((f) => historyEntry(item.stem, f.step, f.scores[i])),
      }),
    ),
  };
}
