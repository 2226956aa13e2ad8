/**
 * Downloads of a workbench run, in the CLI's formats so files from both faces look alike:
 * the best image as PNG, one item's history as an animated GIF (gifenc) or a zip of PNG
 * frames (fflate), and `manifest.json` in CLI.md's layout, with the whole run zipped.
 */
import { GIFEncoder, applyPalette, quantize } from 'gifenc';
import { zipSync } from 'fflate';
import type { ObjectiveSpec } from '../../../src/core/objectives/objective-spec.js';
import type { BackendInfo, MaximizeDone, Rgba } from '../bridge/protocol.js';
import { pngBytes, upscaleForView } from '../draw/images.js';

export interface RunItem {
  index: number;
  label: string;
  /** File name stem, e.g. `block3_conv1_5` or `class_3`. */
  stem: string;
  layer?: string;
  /** The item's objective as data (the manifest stores it, so the image can be rebuilt). */
  spec?: ObjectiveSpec;
}

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

declare const __CONVSCOPE_VERSION__: string;

/** An animated GIF of item `i`'s frames (upscaled to >= 112 px, 80 ms a frame). */
export function historyGif(run: RunRecord, i: number, delay = 80): Uint8Array {
  const gif = GIFEncoder();
  for (const frame of run.frames) {
    const image = upscaleForView(frame.images[i]);
    const palette = quantize(image.data, 256);
    gif.writeFrame(applyPalette(image.data, palette), image.width, image.height, {
      palette,
      delay,
    });
  }
  gif.finish();
  return gif.bytes();
}

const stepName = (stem: string, step: number) =>
  `history/${stem}_step${String(step).padStart(5, '0')}.png`;

/** CLI.md's manifest for the run (history entries name the files of `runZip`). */
export function runManifest(run: RunRecord): Record<string, unknown> {
  const done = run.done;
  const last = run.frames[run.frames.length - 1];
  return {
    tool: `convscope-web@${__CONVSCOPE_VERSION__}`,
    model: run.model,
    layer: run.layer,
    preset: run.preset,
    steps: done?.steps ?? last?.step ?? 0,
    size: done?.size,
    seed: run.seed,
    backend: run.backend.backend,
    seconds: done?.seconds,
    aborted: done ? done.aborted : true,
    settings: done?.settings,
    effectiveLearningRate: done?.effectiveLearningRate,
    items: run.items.map((item, i) => ({
      index: item.index,
      ...(item.layer ? { layer: item.layer } : { label: item.label }),
      ...(item.spec ? { spec: item.spec } : {}),
      file: `${item.stem}.png`,
      activation: {
        initial: run.frames[0]?.scores[i],
        final: done?.final[i] ?? last?.scores[i],
        best:
          done?.unitScores?.[i] ??
          done?.bestScores[i] ??
          Math.max(...run.frames.map((f) => f.scores[i])),
      },
      ...(done ? { stats: itemStats(done, i) } : {}),
      history: run.frames.map((f) => ({
        step: f.step,
        file: stepName(item.stem, f.step),
        activation: f.scores[i],
      })),
    })),
    grid: null,
  };
}

/** Item i's statistics in the CLI manifest's layout (`stats`). */
export function itemStats(done: MaximizeDone, i: number): Record<string, number> {
  return {
    saturated: done.stats[i].saturated,
    highFrequency: done.stats[i].highFrequency,
    objective: done.bestScores[i],
    ...(done.transformedScores ? { objectiveWithTransforms: done.transformedScores[i] } : {}),
  };
}

/** The best (or latest) image of item i. */
export function finalImage(run: RunRecord, i: number): Rgba {
  return run.done?.best[i] ?? run.frames[run.frames.length - 1].images[i];
}

/** A zip of item `only`'s frames, or of the whole run (images, frames, manifest). */
export async function runZip(run: RunRecord, only?: number): Promise<Uint8Array> {
  const files: Record<string, Uint8Array> = {};
  const items = only === undefined ? run.items.map((_, i) => i) : [only];
  for (const i of items) {
    const stem = run.items[i].stem;
    files[`${stem}.png`] = await pngBytes(finalImage(run, i));
    for (const frame of run.frames) {
      files[stepName(stem, frame.step)] = await pngBytes(frame.images[i]);
    }
  }
  files['manifest.json'] = new TextEncoder().encode(JSON.stringify(runManifest(run), null, 2));
  return zipSync(files, { level: 0 });
}
