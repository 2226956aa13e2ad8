/**
 * Downloads of a workbench run, in the CLI's formats so files from both faces look alike:
 * the best image as PNG, one item's history as an animated GIF (gifenc) or a zip of PNG
 * frames (fflate), and `manifest.json` (run-manifest.ts: the CLI's builder), with the whole
 * run zipped.
 */
import { GIFEncoder, applyPalette, quantize } from 'gifenc';
import { zipSync } from 'fflate';
import { historyFile, itemFile, itemStats } from '../../../src/core/run/run-manifest.js';
import type { Rgba } from '../bridge/protocol.js';
import { pngBytes, upscaleForView } from '../draw/images.js';
import {
  runManifest as manifestOf,
  type RunFrame,
  type RunItem,
  type RunRecord,
  type WebManifest,
} from './run-manifest.js';

/** Item i's `stats`, as the manifest has them (the detail view shows them). */
export { itemStats };
export type { RunFrame, RunItem, RunRecord };

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

/** CLI.md's manifest for the run (history entries name the files of `runZip`). */
export function runManifest(run: RunRecord): WebManifest {
  return manifestOf(run, `convscope-web@${__CONVSCOPE_VERSION__}`);
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
    files[itemFile(stem)] = await pngBytes(finalImage(run, i));
    for (const frame of run.frames) {
      files[historyFile(stem, frame.step)] = await pngBytes(frame.images[i]);
    }
  }
  files['manifest.json'] = new TextEncoder().encode(JSON.stringify(runManifest(run), null, 2));
  return zipSync(files, { level: 0 });
}
