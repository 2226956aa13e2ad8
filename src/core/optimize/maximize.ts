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
import { ConvscopeError } from '../errors.js';
import type { VisModel } from '../models/vis-model.js';
import { checkObjective, type Objective } from '../objectives/objective.js';
import { applyPostStep } from '../regularizers/yosinski.js';
import { resize } from '../transforms/affine-sample.js';
import { transformSchedule } from '../transforms/transform-schedule.js';
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
import type { StepRuleSpec } from './step-rules.js';
import { BestIterates } from './best-iterate.js';
import { asParts, postStepError, type MaximizeParts } from './parts.js';
import {
  toBatch,
  type Frame,
  type HistoryFrame,
  type MaximizeOptions,
  type MaximizeResult,
} from './maximize-types.js';

export * from './maximize-types.js';
export { partsFromSettings, standardize, type MaximizeParts } from './parts.js';

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

/**
 * Optimizes one image per objective with the given parts (parts.ts), or the parts that
 * settings describe (`partsFromSettings`).
 * @example
 * for await (const frame of maximize(model, [channel('block2_conv1', 3)], settings, { seed: 0 }))
 *   console.log(frame.step, frame.scores);
 */
export async function* maximize(
  model: VisModel,
  objectives: Objective[],
  partsOrSettings: MaximizeParts | OptimizationSettings,
  options: MaximizeOptions = {},
): AsyncGenerator<Frame> {
  if (objectives.length === 0) throw new ConvscopeError('nothing to optimize: no objectives');
  objectives.forEach((o) => checkObjective(model, o));
  const parts = asParts(partsOrSettings);
  // Terms on the image (total variation, Lp) join the penalties; the network sees the rest.
  const { network, inputPenalty } = separateInputTerms(
    objectives,
    Math.max(1, parts.diversity?.images ?? 1),
  );
  objectives = network;
  const partPenalty = (image: tf.Tensor4D): tf.Tensor1D =>
    parts.penalty ? parts.penalty(image) : tf.zeros([image.shape[0]]);
  const penaltyOf = (image: tf.Tensor4D): tf.Tensor1D =>
    inputPenalty ? tf.add(partPenalty(image), inputPenalty(image)) : partPenalty(image);
  // --diversity N: N images per objective (diversity-objectives.ts).
  if (parts.diversity) objectives = facetObjectives(objectives, parts.diversity);
  const start = Date.now();
  const { seed = 0, signal, history = 0 } = options;
  const steps = Math.max(0, Math.floor(parts.steps));
  const frameEvery = Math.max(1, options.frameEvery ?? Math.ceil(steps / 32));
  const bestEvery = Math.max(1, options.bestEvery ?? Math.ceil(steps / 32));
  const { height, width, channels } = model.input;
  const batch = objectives.length;
  const rng = createRng(seed);
  const layers = [...new Set(objectives.flatMap((o) => o.layers))];
  // The step's transforms: 'standard' shrinks over the run (transform-schedule.ts).
  const schedule = transformSchedule(parts.transform, Math.min(height, width), steps);
  const { deterministic } = schedule;
  const firstSpecs = schedule.specs(1);
  const meanImage = tf.tensor4d(model.meanImage, [1, height, width, channels]);
  const parameterization = parts.parameterization({
    shape: { batch, height, width, channels },
    seed: rng.seed(),
    init: options.init,
    meanImage,
  });
  const postStepProblem = postStepError(parts.postStep, parameterization);
  if (postStepProblem) {
    parameterization.dispose();
    meanImage.dispose();
    throw postStepProblem;
  }
  if (options.init && !parameterization.takesInit) {
    await fitToImage(parameterization, options.init);
  }
  const rule = parts.stepRule(batch);
  const engineStep = usesEngine(options.engine)
    ? new EngineStep(options.engine, model, objectives, layers, itemScores)
    : null;
  let fused =
    engineStep &&
    options.fuse !== false &&
    canFuse(options.engine) &&
    parameterization.fourier &&
    firstSpecs &&
    fusableTransforms(firstSpecs) &&
    objectives.every((o) => o.linear) &&
    !parts.penalty &&
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
  // The step's transform is looked up only when a view is taken (not on fused steps).
  const viewAt =
    (step: number) =>
    (image: tf.Tensor4D, r: Rng): tf.Tensor4D => {
      let seen = deterministic ? image : schedule.transform(step)(image, r);
      const [, h, w] = seen.shape;
      if (h !== height || w !== width) seen = resize(seen, [height, width]);
      return seen;
    };

  const best = new BestIterates();
  const historyFrames: HistoryFrame[] = [];
  interface Snapshot {
    step: number;
    images: tf.Tensor4D;
    scores: number[];
  }
  const snapshot = async (step: number): Promise<Snapshot> => {
    const images = tf.tidy(() => parts.display(parameterization.image()));
    const scores = await measure(images);
    if (step % bestEvery === 0 || step === steps) best.track(step, images, scores);
    if (history > 0 && (step % history === 0 || step === steps)) {
      historyFrames.push({ step, images: await toBatch(images), scores });
    }
    return { step, images, scores };
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
      const view = viewAt(step);
      // Redirect every image's ReLUs at first (Lucid), and afterwards those still dead.
      const dead = stepScores.map((v) => v <= 0);
      const relu =
        step <= parts.redirectSteps
          ? redirectedRelu()
          : parts.redirectSteps > 0 && dead.some(Boolean)
            ? redirectedRelu(dead)
            : undefined;
      let grads: tf.NamedTensorMap;
      if (engineStep) {
        const flags =
          step <= parts.redirectSteps
            ? dead.map(() => true)
            : parts.redirectSteps > 0
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
          const maps = viewMaps(
            deterministic ? [] : schedule.specs(step)!,
            size,
            size,
            recorder.rng,
          );
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
        if (parts.redirectSteps > 0) stepScores = Array.from(await scoresTensor!.data());
        (scoresTensor as tf.Tensor1D | null)?.dispose();
      }
      const gradients = parameterization.variables.map((v) => grads[v.name]);
      rule.apply(parameterization.variables, gradients, step);
      const pixels = parameterization.pixels;
      if (pixels && parts.postStep.length > 0) {
        const updated = applyPostStep(
          parts.postStep,
          pixels as tf.Tensor4D,
          gradients[0] as tf.Tensor4D,
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
      const due = (every: number) => every > 0 && step % every === 0;
      if (due(frameEvery) || due(bestEvery) || due(history) || step === steps) {
        last.images.dispose();
        last = await snapshot(step);
        if (due(frameEvery) || step === steps) {
          yield { step, steps, images: await toBatch(last.images), scores: last.scores };
        }
      }
      await (options.yieldControl?.() ?? Promise.resolve());
    }
    // Aborted: the images at the stop count too (they are what the run ends with); measured
    // once, reusing this step's snapshot when there is one.
    if (aborted && last.step !== step) {
      last.images.dispose();
      last = await snapshot(step);
    }
    if (aborted && best.step !== step) best.track(step, last.images, last.scores);
    // The optimization's time; the end-of-run measurements below are not steps.
    const seconds = (Date.now() - start) / 1000;
    const transformedScores = deterministic
      ? best.scores
      : await throughViews(best.images!, viewAt(steps + 1), measure, createRng(seed + 0x5eed));
    const transparency = parameterization.transparency?.();
    const alpha = transparency ? await alphaMap(transparency) : undefined;
    transparency?.dispose();
    const result: MaximizeResult = {
      best: await toBatch(best.images!),
      transformedScores,
      ...(alpha ? { alpha } : {}),
      initial,
      final: last.scores,
      bestScores: best.scores,
      bestSteps: best.steps,
      history: historyFrames,
      steps: step,
      aborted,
      seconds,
    };
    yield { step, steps, images: await toBatch(last.images), scores: last.scores, result };
    last.images.dispose();
  } finally {
    best.dispose();
    parameterization.dispose();
    meanImage.dispose();
    rule.dispose();
  }
}
