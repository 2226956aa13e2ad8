/**
 * The activation-maximization loop: an async generator that optimizes one image per
 * objective, all in one batch, and yields a frame every few steps (step, images, objective
 * values), so a progress bar and a live web view consume the same stream. It does no I/O,
 * honours an AbortSignal (the run ends early with what it has), is deterministic for a seed
 * and backend, keeps each image's best iterate, and frees every tensor it made.
 *
 * One step: image = parameterization.image(); transformed copy (random, seeded) resized to
 * the model input; objective of each image minus penalties; gradients of the variables;
 * step rule; Yosinski's post-step image operations; projection to the valid range.
 */
import * as tf from '@tensorflow/tfjs';
import { usesEngine } from '../engines/engine-tensors.js';
import type { NetworkEngine } from '../engines/network-engine.js';
import { ConvscopeError } from '../errors.js';
import type { VisModel } from '../models/vis-model.js';
import { checkObjective, type Objective } from '../objectives/objective.js';
import { createParameterization } from './create-parameterization.js';
import { penalty } from '../regularizers/penalties.js';
import { applyYosinski, usesYosinski } from '../regularizers/yosinski.js';
import { resize } from '../transforms/affine-sample.js';
import { compose, fromSpec, standardTransforms } from '../transforms/transforms.js';
import { redirectedRelu } from './redirected-relu.js';
import { canFuse } from '../engines/fused-step.js';
import { preprocessAffine } from '../models/input-spec.js';
import { fusableTransforms, viewMaps } from '../transforms/view-maps.js';
import { EngineStep, recordingRng, type EngineStepResult } from './engine-step.js';
import { itemScores } from '../objectives/item-scores.js';
import { facetObjectives } from './diversity-objectives.js';
import { separateInputTerms } from '../objectives/input-terms.js';
import { fitToImage } from './fit-image.js';
import { createRng, type Rng } from './rng.js';
import { alphaMap, throughViews } from './transparency.js';
import type { OptimizationSettings } from './settings.js';
import { createStepRule, type StepRuleSpec } from './step-rules.js';

/** The part of an AbortSignal the loop reads (core has no DOM or Node types). */
export interface StopSignal {
  readonly aborted: boolean;
}

export interface MaximizeOptions {
  seed?: number;
  signal?: StopSignal;
  /**
   * Awaited after every step, so timers, I/O and abort handlers of the host get a turn
   * (Node: setImmediate; browsers: a message channel). Default: a microtask only.
   */
  yieldControl?: () => Promise<void>;
  /** Yield a frame every this many steps (and after the last). Default: steps / 32. */
  frameEvery?: number;
  /** Keep the images of every k-th step in the result's history (0: none). */
  history?: number;
  /** Start from these images, [1 or N, h, w, c] in [0, 1] (Fourier, MACO: fitted, fit-image.ts). */
  init?: tf.Tensor4D;
  /**
   * The engine that runs the network (e.g. ONNX Runtime in Node). Absent or TF.js: the whole
   * step is one TF.js tape, as fast as TF.js goes.
   */
  engine?: NetworkEngine;
  /**
   * Run each step in one engine call when the engine can (`FusedStepEngine`: the image side
   * too, for a Fourier image, linear objectives and no penalties). Default true; false keeps
   * the image side in TF.js (for comparisons).
   */
  fuse?: boolean;
}

export interface ImageBatch {
  /** [batch, height, width, channels] values in [0, 1], row-major. */
  data: Float32Array;
  shape: [number, number, number, number];
}

export interface HistoryFrame {
  step: number;
  images: ImageBatch;
  /** Objective per image, measured without transforms. */
  scores: number[];
}

export interface MaximizeResult {
  /** The best iterate of each image. */
  best: ImageBatch;
  initial: number[];
  final: number[];
  bestScores: number[];
  bestSteps: number[];
  history: HistoryFrame[];
  steps: number;
  aborted: boolean;
  seconds: number;
  /** Each best image's objective through the transforms (`throughViews`). */
  transformedScores?: number[];
  /** MACO's transparency map per image, [batch, h, w, 1] in [0, 1] (see `alphaMap`). */
  alpha?: ImageBatch;
}

export interface Frame {
  step: number;
  steps: number;
  /** The current images. */
  images: ImageBatch;
  /** Objective per image on the current images, without transforms. */
  scores: number[];
  /** Present on the last frame. */
  result?: MaximizeResult;
}

async function toBatch(images: tf.Tensor4D): Promise<ImageBatch> {
  return { data: (await images.data()) as Float32Array, shape: images.shape };
}

export { itemScores };

/**
 * The step rule as run: the settings' rate at every image size, as Lucid runs it. (Until
 * issue 16 a Fourier image's rate was scaled up by 128 / side below 128 px, 0.05 -> 0.23 at
 * 28 px; measured with scripts/compare-presets.ts, that scaling was the main cause of clipped
 * images: 67% of the embedded model's colour values saturated against 31% without it, for an
 * objective still above Lucid's own defaults. See BENCHMARKS.md.)
 */
export function effectiveStepRule(settings: OptimizationSettings, _side: number): StepRuleSpec {
  return { ...settings.stepRule };
}

/** Standardizes each image to mean 0.5, sd 0.1 (Chollet's deprocessing), clipped. */
export function standardize(images: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(images, [1, 2, 3], true);
    const z = tf.div(tf.sub(images, mean), tf.add(tf.sqrt(variance), 1e-5));
    return tf.clipByValue(tf.add(tf.mul(z, 0.1), 0.5), 0, 1) as tf.Tensor4D;
  });
}

/**
 * Optimizes one image per objective.
 * @example
 * for await (const frame of maximize(model, [channel('block2_conv1', 3)], settings, { seed: 0 }))
 *   console.log(frame.step, frame.scores);
 */
export async function* maximize(
  model: VisModel,
  objectives: Objective[],
  settings: OptimizationSettings,
  options: MaximizeOptions = {},
): AsyncGenerator<Frame> {
  if (objectives.length === 0) throw new ConvscopeError('nothing to optimize: no objectives');
  objectives.forEach((o) => checkObjective(model, o));
  // Terms on the image (total variation, Lp) join the penalties; the network sees the rest.
  const { network, inputPenalty } = separateInputTerms(
    objectives,
    Math.max(1, settings.diversity?.images ?? 1),
  );
  objectives = network;
  const penaltyOf = (image: tf.Tensor4D): tf.Tensor1D =>
    inputPenalty
      ? tf.add(penalty(image, settings.penalties), inputPenalty(image))
      : penalty(image, settings.penalties);
  // --diversity N: N images per objective (diversity-objectives.ts).
  if (settings.diversity) objectives = facetObjectives(objectives, settings.diversity);
  const start = Date.now();
  const { seed = 0, signal, history = 0 } = options;
  const steps = Math.max(0, Math.floor(settings.steps));
  const frameEvery = Math.max(1, options.frameEvery ?? Math.ceil(steps / 32));
  const { height, width, channels } = model.input;
  const batch = objectives.length;
  const rng = createRng(seed);
  const layers = [...new Set(objectives.flatMap((o) => o.layers))];
  const transformSpecs =
    settings.transforms === 'standard'
      ? standardTransforms(Math.min(height, width))
      : settings.transforms;
  const transform = compose(...transformSpecs.map(fromSpec));
  const deterministic = transformSpecs.length === 0;
  const meanImage = tf.tensor4d(model.meanImage, [1, height, width, channels]);
  const parameterization = createParameterization(
    settings.parameterization,
    { batch, height, width, channels },
    rng.seed(),
    options.init,
    meanImage,
  );
  if (options.init && !parameterization.kind.startsWith('pixel')) {
    await fitToImage(parameterization, options.init);
  }
  const rule = createStepRule(effectiveStepRule(settings, Math.min(height, width)), batch);
  const display = (images: tf.Tensor4D) =>
    settings.display === 'standardize' ? standardize(images) : images;
  const engineStep = usesEngine(options.engine)
    ? new EngineStep(options.engine, model, objectives, layers, itemScores)
    : null;
  const { penalties } = settings;
  let fused =
    engineStep &&
    options.fuse !== false &&
    canFuse(options.engine) &&
    parameterization.fourier &&
    fusableTransforms(transformSpecs) &&
    objectives.every((o) => o.linear) &&
    penalties.totalVariation <= 0 &&
    penalties.lpNorm <= 0 &&
    !inputPenalty
      ? options.engine
      : null;
  const measure = async (images: tf.Tensor4D): Promise<number[]> => {
    if (engineStep) return engineStep.measure(images);
    const scores = tf.tidy(() => itemScores(objectives, model.activations(images, layers)));
    const values = Array.from(await scores.data());
    scores.dispose();
    return values;
  };
  // What the network sees at a step: a transformed copy, resized to the model input.
  const view = (image: tf.Tensor4D, r: Rng): tf.Tensor4D => {
    let seen = deterministic ? image : transform(image, r);
    const [, h, w] = seen.shape;
    if (h !== height || w !== width) seen = resize(seen, [height, width]);
    return seen;
  };

  let bestImages: tf.Tensor4D | null = null;
  let bestScores: number[] = [];
  let bestSteps: number[] = [];
  const historyFrames: HistoryFrame[] = [];
  const track = async (step: number, images: tf.Tensor4D, scores: number[]) => {
    if (scores.some((s) => !Number.isFinite(s))) {
      throw new ConvscopeError(
        `the optimization diverged (objective ${scores.find((s) => !Number.isFinite(s))}) at step ${step}`,
        'lower the learning rate (--lr) or use another preset',
      );
    }
    if (!bestImages) {
      bestImages = tf.keep(tf.clone(images));
      bestScores = [...scores];
      bestSteps = scores.map(() => step);
      return;
    }
    const better = scores.map((s, i) => s > bestScores[i]);
    if (better.some(Boolean)) {
      const previous: tf.Tensor4D = bestImages;
      bestImages = tf.tidy(() =>
        tf.where(
          tf.tensor1d(better, 'bool').reshape([batch, 1, 1, 1]).tile([1, height, width, channels]),
          images,
          previous,
        ),
      ) as tf.Tensor4D;
      previous.dispose();
      better.forEach((b, i) => {
        if (b) [bestScores[i], bestSteps[i]] = [scores[i], step];
      });
    }
  };
  const snapshot = async (step: number): Promise<{ images: tf.Tensor4D; scores: number[] }> => {
    const images = tf.tidy(() => display(parameterization.image()));
    const scores = await measure(images);
    await track(step, images, scores);
    if (history > 0 && (step % history === 0 || step === steps)) {
      historyFrames.push({ step, images: await toBatch(images), scores });
    }
    return { images, scores };
  };

  try {
    const first = await snapshot(0);
    const initial = first.scores;
    let last = first;
    yield { step: 0, steps, images: await toBatch(first.images), scores: first.scores };
    let step = 0;
    let aborted = false;
    let stepScores = initial;
    while (step < steps) {
      if (signal?.aborted) {
        aborted = true;
        break;
      }
      step++;
      // Redirect every image's ReLUs at first (Lucid), and afterwards those still dead.
      const dead = stepScores.map((v) => v <= 0);
      const relu =
        step <= settings.redirectSteps
          ? redirectedRelu()
          : settings.redirectSteps > 0 && dead.some(Boolean)
            ? redirectedRelu(dead)
            : undefined;
      let grads: tf.NamedTensorMap;
      if (engineStep) {
        const flags =
          step <= settings.redirectSteps
            ? dead.map(() => true)
            : settings.redirectSteps > 0
              ? dead
              : null;
        // No image redirected: the plain rule's graph (fewer mask ops per ReLU).
        const stepRule = flags?.some(Boolean)
          ? { rule: 'redirected' as const, redirect: flags }
          : { rule: 'gradient' as const };
        let stepRng = rng;
        let result: EngineStepResult | null = null;
        if (fused) {
          const recorder = recordingRng(rng);
          const size: [number, number] = [height, width];
          const maps = viewMaps(deterministic ? [] : transformSpecs, size, size, recorder.rng);
          const preprocess = preprocessAffine(model.input);
          result = await engineStep.fusedGradients(
            fused,
            parameterization,
            maps,
            preprocess,
            stepRule,
          );
          // Declined (the engine fell back to TF.js): this step's draws go to the plain path.
          if (!result) [fused, stepRng] = [null, recorder.replay()];
        }
        result ??= await engineStep.gradients(
          parameterization.variables,
          () => parameterization.image(),
          (image, r) => model.toModelInput(view(image, r)),
          penaltyOf,
          stepRng,
          stepRule,
        );
        grads = result.grads;
        stepScores = result.scores;
      } else {
        let scoresTensor: tf.Tensor1D | null = null;
        const result = tf.variableGrads(() => {
          const image = parameterization.image();
          const scores = itemScores(
            objectives,
            model.activations(view(image, rng), layers, { relu }),
          );
          scoresTensor = tf.keep(tf.clone(scores));
          return tf.sum(tf.sub(scores, penaltyOf(image)));
        }, parameterization.variables);
        result.value.dispose();
        grads = result.grads;
        // Only the redirected ReLU needs the step's scores in JavaScript (a device read per
        // step on GPU backends); without it they stay on the device.
        if (settings.redirectSteps > 0) stepScores = Array.from(await scoresTensor!.data());
        (scoresTensor as tf.Tensor1D | null)?.dispose();
      }
      const gradients = parameterization.variables.map((v) => grads[v.name]);
      rule.apply(parameterization.variables, gradients, step);
      const pixels = parameterization.pixels;
      if (pixels && usesYosinski(settings.yosinski)) {
        const updated = applyYosinski(
          pixels as tf.Tensor4D,
          gradients[0] as tf.Tensor4D,
          settings.yosinski,
          step,
        );
        // On steps where no operation is due, the variable itself comes back.
        if (updated !== pixels) {
          pixels.assign(updated);
          updated.dispose();
        }
      }
      parameterization.project?.();
      Object.values(grads).forEach((g) => g.dispose());
      if (step % frameEvery === 0 || step === steps || (history > 0 && step % history === 0)) {
        last.images.dispose();
        last = await snapshot(step);
        if (step % frameEvery === 0 || step === steps) {
          yield { step, steps, images: await toBatch(last.images), scores: last.scores };
        }
      }
      await (options.yieldControl?.() ?? Promise.resolve());
    }
    if (aborted && step % frameEvery !== 0) {
      last.images.dispose();
      last = await snapshot(step);
    }
    // The optimization's time; the end-of-run measurements below are not steps.
    const seconds = (Date.now() - start) / 1000;
    const transformedScores = deterministic
      ? bestScores
      : await throughViews(bestImages!, view, measure, createRng(seed + 0x5eed));
    const transparency = parameterization.transparency?.();
    const alpha = transparency ? await alphaMap(transparency) : undefined;
    transparency?.dispose();
    const result: MaximizeResult = {
      best: await toBatch(bestImages!),
      transformedScores,
      ...(alpha ? { alpha } : {}),
      initial,
      final: last.scores,
      bestScores,
      bestSteps,
      history: historyFrames,
      steps: step,
      aborted,
      seconds,
    };
    yield { step, steps, images: await toBatch(last.images), scores: last.scores, result };
    last.images.dispose();
  } finally {
    (bestImages as tf.Tensor4D | null)?.dispose();
    parameterization.dispose();
    meanImage.dispose();
    rule.dispose();
  }
}
