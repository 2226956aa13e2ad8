/**
 * Dead units (Nguyen et al. 2016, "Multifaceted feature visualization": start from real
 * images). A filter whose activation stays 0 at every step from noise gets no gradient through
 * its ReLU, so its tile is flat grey and says nothing. Given dataset images (`--images DIR`),
 * such a unit is scanned for its best patch (the receptive field of its strongest location
 * over the images, patches-scan.ts), the patch is resized to the image size, and the unit is
 * optimized again from it (a Fourier or MACO image is first fitted to the patch, fit-image.ts).
 * Without images, or when no image excites the unit either, it is reported dead with the
 * reason, so a manifest never passes a grey tile off as a picture.
 */
import * as tf from '@tensorflow/tfjs';
import type { NetworkEngine } from '../core/engines/network-engine.js';
import { receptiveBox, unclampedBox } from '../core/models/receptive-field.js';
import type { VisModel } from '../core/models/vis-model.js';
import { objectiveFromSpec, type ObjectiveSpec } from '../core/objectives/objective-spec.js';
import { maximize, type ImageBatch, type MaximizeResult } from '../core/optimize/maximize.js';
import { lastResult } from '../core/run/last-result.js';
import type { OptimizationSettings } from '../core/optimize/settings.js';
import { readFile } from 'node:fs/promises';
import { ConvscopeError } from '../core/errors.js';
import { loadImage } from './images.js';
import type { PatchItem } from './patches-render.js';
import { scanPatches } from './patches-scan.js';

export const DEAD_FROM_NOISE =
  'activation 0 at every step from noise; give --images DIR to start from the best dataset patch';

/** What happened to a dead unit: restarted from a patch, or still dead (and why). */
export type DeadOutcome =
  | {
      /** Started from the resized patch, or (when that stayed 0) from the whole best image. */
      init: 'patch' | 'image';
      /** The source image, the patch's box [x0, y0, x1, y1) in model-input pixels, its activation. */
      patch: { image: string; box: [number, number, number, number]; activation: number };
    }
  | { dead: true; reason: string };

export interface DeadUnitRun {
  model: VisModel;
  settings: OptimizationSettings;
  seed: number;
  engine?: NetworkEngine;
  /** Dataset images to find each dead unit's best patch in (absent: report them dead). */
  images?: string[];
  /** Or the `manifest.json` of a `patches` run: each channel's best patch, already found. */
  patches?: string;
}

/** A unit's strongest location in a dataset: image file, map position, activation. */
interface BestLocation {
  image: string;
  y: number;
  x: number;
  value: number;
}

type Lookup = (layer: string, channel: number) => BestLocation | undefined;

/** Each dead unit's best location: scanned in `images`, or read from a patches manifest. */
async function bestLocations(
  run: DeadUnitRun,
  layers: string[],
): Promise<{ lookup: Lookup; where: string }> {
  if (run.patches !== undefined) {
    return { lookup: await readPatchesManifest(run.patches), where: `in ${run.patches}` };
  }
  const images = run.images!;
  const { index } = await scanPatches(run.model, images, layers, { k: 1, engine: run.engine });
  return {
    lookup: (layer, c) => {
      const top = index.layers[layer]?.top[c]?.[0];
      return top && { image: index.files[top.image], y: top.y, x: top.x, value: top.value };
    },
    where: `on every one of the ${images.length} images given`,
  };
}

/** The top patch of each layer's filters in a `patches` manifest (one layer or a list). */
export async function readPatchesManifest(file: string): Promise<Lookup> {
  type Entry = { layer: string; filters: { index: number; top: PatchItem[] }[] };
  let entries: Entry[];
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as Entry | Entry[];
    entries = Array.isArray(parsed) ? parsed : [parsed];
    if (!entries.every((e) => typeof e.layer === 'string' && Array.isArray(e.filters)))
      throw new Error('not a patches manifest');
  } catch {
    throw new ConvscopeError(
      `${file} is not the manifest.json of a \`convscope patches\` run`,
      'give the manifest.json that `convscope patches --out DIR` wrote, or --images DIR',
    );
  }
  return (layer, c) => {
    const top = entries.find((e) => e.layer === layer)?.filters.find((f) => f.index === c)?.top[0];
    return top && { image: top.image, y: top.y, x: top.x, value: top.activation };
  };
}

/** A unit (channel or neuron of a layer) whose best activation is not above 0. */
export const isDeadUnit = (spec: ObjectiveSpec, best: number): boolean =>
  (spec.kind === 'channel' || spec.kind === 'neuron') && !(best > 0);

/** Writes image `i` of `batch` from a [1, h, w, c] array. */
function setImage(batch: ImageBatch, i: number, values: Float32Array): void {
  const [, h, w, c] = batch.shape;
  batch.data.set(values, i * h * w * c);
}

/**
 * The unit's whole receptive field around its strongest location, resized to the image size
 * (square fields stay undistorted). Deep units' fields pass the image border (a 32 px field on
 * a 28 px image): outside the image the patch is the model's mean pixel, neutral to the
 * network. [1, h, w, c].
 */
function patchImage(
  model: VisModel,
  pixels: Float32Array,
  [x0, y0, x1, y1]: [number, number, number, number],
): tf.Tensor4D {
  const { height, width, channels } = model.input;
  return tf.tidy(() => {
    const image = tf.tensor4d(pixels, [1, height, width, channels]);
    const mean = tf.mean(tf.tensor4d(model.meanImage, [1, height, width, channels]), [1, 2], true);
    const pad = [
      Math.max(0, -y0),
      Math.max(0, y1 - height),
      Math.max(0, -x0),
      Math.max(0, x1 - width),
    ];
    // Padded with 0 around the image minus its mean, then the mean added back everywhere.
    const centred = tf.pad(tf.sub(image, mean), [
      [0, 0],
      [pad[0], pad[1]],
      [pad[2], pad[3]],
      [0, 0],
    ]);
    const crop = tf.slice(
      tf.add(centred, mean),
      [0, y0 + pad[0], x0 + pad[2], 0],
      [1, y1 - y0, x1 - x0, channels],
    );
    return tf.image.resizeBilinear(crop as tf.Tensor4D, [height, width], true);
  });
}

/** One unit optimized from `init` (which it frees). */
async function optimizeFrom(
  run: DeadUnitRun,
  settings: OptimizationSettings,
  spec: ObjectiveSpec,
  init: tf.Tensor4D,
): Promise<MaximizeResult> {
  try {
    return await lastResult(
      maximize(run.model, [objectiveFromSpec(spec)], settings, {
        seed: run.seed,
        init,
        engine: run.engine,
      }),
    );
  } finally {
    init.dispose();
  }
}

/**
 * Restarts the dead units among `specs` (by `best`, their unit activations) from their best
 * patches, writing the new images and scores into `done` and `best` in place; returns each dead item's
 * outcome by position.
 * @example const outcomes = await reviveDeadUnits(run, specs, done, unitScores)
 */
export async function reviveDeadUnits(
  run: DeadUnitRun,
  specs: ObjectiveSpec[],
  done: MaximizeResult,
  best: number[],
): Promise<Map<number, DeadOutcome>> {
  const outcomes = new Map<number, DeadOutcome>();
  const dead = specs.flatMap((spec, i) => (isDeadUnit(spec, best[i]) ? [i] : []));
  if (dead.length === 0) return outcomes;
  if (!run.images && run.patches === undefined) {
    for (const i of dead) outcomes.set(i, { dead: true, reason: DEAD_FROM_NOISE });
    return outcomes;
  }
  const { model } = run;
  const { height, width, channels } = model.input;
  const layerOf = (i: number) => (specs[i] as { layer: string }).layer;
  const layers = [...new Set(dead.map(layerOf))];
  const { lookup, where } = await bestLocations(run, layers);
  // A restart is one image: no diversity partners.
  const settings: OptimizationSettings = { ...run.settings, diversity: undefined };
  for (const i of dead) {
    const spec = specs[i] as { layer: string; channel: number };
    const top = lookup(spec.layer, spec.channel);
    if (!top || !(top.value > 0)) {
      outcomes.set(i, {
        dead: true,
        reason: top
          ? `activation 0 from noise and ${where} too`
          : `activation 0 from noise, and no patch of it ${where} (run \`convscope patches --layer ${spec.layer}\`)`,
      });
      continue;
    }
    const field = model.layer(spec.layer).receptiveField!;
    const box = receptiveBox(field, top.y, top.x, height, width);
    const pixels = await loadImage(top.image, model.input);
    const patch = { image: top.image, box, activation: top.value };
    // The patch at the image size first; a deep unit can fire on its patch at its own scale
    // only (the resize changes it), so then from the whole best image, unit in place.
    const starts: ['patch' | 'image', () => tf.Tensor4D][] = [
      ['patch', () => patchImage(model, pixels, unclampedBox(field, top.y, top.x))],
      ['image', () => tf.tensor4d(pixels, [1, height, width, channels])],
    ];
    let revived = false;
    for (const [kind, start] of starts) {
      const result = await optimizeFrom(run, settings, specs[i], start());
      if (!(result.bestScores[0] > 0)) continue;
      setImage(done.best, i, result.best.data);
      done.initial[i] = result.initial[0];
      done.final[i] = result.final[0];
      done.bestScores[i] = best[i] = result.bestScores[0];
      done.bestSteps[i] = result.bestSteps[0];
      if (done.transformedScores && result.transformedScores) {
        done.transformedScores[i] = result.transformedScores[0];
      }
      outcomes.set(i, { init: kind, patch });
      revived = true;
      break;
    }
    if (!revived) {
      outcomes.set(i, {
        dead: true,
        reason: `activation 0 from noise, from its best patch and from its whole image (${patch.image}, a=${top.value.toPrecision(3)} there)`,
      });
    }
  }
  return outcomes;
}
