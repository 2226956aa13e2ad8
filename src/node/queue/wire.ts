/**
 * A shard's result as it travels back through the queue: PNGs and numbers, not tensors. An
 * image batch [n, h, w, c] becomes one lossless PNG of n images stacked (gray, RGB or RGBA as
 * the model's channels), each value the byte the CLI's own PNGs would hold (`toByte`, clamped
 * and rounded to 256 levels); decoded back, the bytes are divided by 255, which `toByte` maps
 * to the same bytes again, so every PNG, strip and grid the submitter writes is byte-identical
 * to a local run's. What needs the float values themselves is computed on the worker instead:
 * the class probability (`probabilities`) and each image's statistics (`itemStats`). MACO's
 * transparency maps travel as one-channel PNGs (bytes as the CLI writes them into the alpha
 * channel). A result holding NaN or Infinity is refused here,
 * so the shard fails with that reason rather than drawing black tiles.
 */
import sharp from 'sharp';
import { ConvscopeError } from '../../core/errors.js';
import { toByte } from '../../core/image/rgba.js';
import { batchStats, type ImageStats } from '../../core/evaluation/image-stats.js';
import type { ImageBatch } from '../../core/optimize/maximize.js';
import type { MaximizeShardResult } from '../maximize-pool.js';

/** An image batch as base64 PNG bytes and its NHWC shape. */
export interface WireBatch {
  png: string;
  shape: [number, number, number, number];
}

/** A maximization shard's result on the wire. */
export interface WireMaximizeResult {
  best: WireBatch;
  initial: number[];
  final: number[];
  bestScores: number[];
  bestSteps: number[];
  history: { step: number; images: WireBatch; scores: number[] }[];
  steps: number;
  aborted: boolean;
  seconds: number;
  probabilities?: number[];
  transformedScores?: number[];
  /** MACO's transparency maps, [n, h, w, 1]. */
  alpha?: WireBatch;
  /** Each image's statistics, measured on the float values before they became PNG bytes. */
  itemStats: ImageStats[];
  /** With diversity, each image's unit activation without the term, from the float values. */
  unitScores?: number[];
}

/** A MaximizeResult that also carries what was computed from the floats on the worker. */
export type ResultWithProbabilities = MaximizeShardResult;

async function encodeBatch(batch: ImageBatch): Promise<WireBatch> {
  const [n, h, w, c] = batch.shape;
  const bytes = Buffer.alloc(batch.data.length);
  for (let i = 0; i < bytes.length; i++) bytes[i] = toByte(batch.data[i]);
  const png = await sharp(bytes, { raw: { width: w, height: n * h, channels: c as 1 | 3 | 4 } })
    .png({ compressionLevel: 6 })
    .toBuffer();
  return { png: png.toString('base64'), shape: [n, h, w, c] };
}

async function decodeBatch(wire: WireBatch): Promise<ImageBatch> {
  const [n, h, w, c] = wire.shape;
  // sharp hands out sRGB unless told: ask for the channels the PNG was written with.
  let image = sharp(Buffer.from(wire.png, 'base64'));
  image =
    c === 1 ? image.toColourspace('b-w') : c === 3 ? image.removeAlpha() : image.ensureAlpha();
  const { data, info } = await image.raw().toBuffer({ resolveWithObject: true });
  if (info.width !== w || info.height !== n * h || info.channels !== c) {
    throw new ConvscopeError(
      `a queued result's image is ${info.width}x${info.height}x${info.channels}, expected ${w}x${n * h}x${c}`,
      'the worker and the submitter run different convscope versions?',
    );
  }
  const floats = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) floats[i] = data[i] / 255;
  return { data: floats, shape: [n, h, w, c] };
}

/** Names the first value that is not finite, or null. */
function notFinite(label: string, values: ArrayLike<number>): string | null {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) return `${label} ${i} is ${values[i]}`;
  }
  return null;
}

/** Throws when a result holds NaN or Infinity (scores or pixels). */
export function checkFinite(result: ResultWithProbabilities): void {
  const problem =
    notFinite('initial score of item', result.initial) ??
    notFinite('final score of item', result.final) ??
    notFinite('best score of item', result.bestScores) ??
    notFinite('value', result.best.data) ??
    (result.probabilities ? notFinite('probability of item', result.probabilities) : null);
  if (problem) {
    throw new ConvscopeError(
      `the optimization diverged: ${problem}`,
      'lower the learning rate (--lr) or use another preset',
    );
  }
}

/**
 * The result as PNGs and numbers.
 *
 * @example const wire = await encodeMaximizeResult(result); // JSON-safe
 */
export async function encodeMaximizeResult(
  result: ResultWithProbabilities,
): Promise<WireMaximizeResult> {
  checkFinite(result);
  return {
    best: await encodeBatch(result.best),
    initial: result.initial,
    final: result.final,
    bestScores: result.bestScores,
    bestSteps: result.bestSteps,
    history: await Promise.all(
      result.history.map(async (frame) => ({
        step: frame.step,
        images: await encodeBatch(frame.images),
        scores: frame.scores,
      })),
    ),
    steps: result.steps,
    aborted: result.aborted,
    seconds: result.seconds,
    ...(result.probabilities ? { probabilities: result.probabilities } : {}),
    ...(result.transformedScores ? { transformedScores: result.transformedScores } : {}),
    ...(result.alpha ? { alpha: await encodeBatch(result.alpha) } : {}),
    ...(result.unitScores ? { unitScores: result.unitScores } : {}),
    itemStats: batchStats(result.best),
  };
}

/** The result back from PNGs and numbers (pixels at the 256 levels the PNGs hold). */
export async function decodeMaximizeResult(
  wire: WireMaximizeResult,
): Promise<ResultWithProbabilities> {
  return {
    best: await decodeBatch(wire.best),
    initial: wire.initial,
    final: wire.final,
    bestScores: wire.bestScores,
    bestSteps: wire.bestSteps,
    history: await Promise.all(
      wire.history.map(async (frame) => ({
        step: frame.step,
        images: await decodeBatch(frame.images),
        scores: frame.scores,
      })),
    ),
    steps: wire.steps,
    aborted: wire.aborted,
    seconds: wire.seconds,
    ...(wire.probabilities ? { probabilities: wire.probabilities } : {}),
    ...(wire.transformedScores ? { transformedScores: wire.transformedScores } : {}),
    ...(wire.alpha ? { alpha: await decodeBatch(wire.alpha) } : {}),
    ...(wire.unitScores ? { unitScores: wire.unitScores } : {}),
    itemStats: wire.itemStats,
  };
}
