/**
 * The parts of an activation-maximization run, as `maximize` takes them: how variables become
 * an image (parameterization = spatial basis x colour stage), what the network sees of it
 * (random transforms), how a gradient becomes a step (step rule), what is done to the image
 * after a step (Yosinski's operations), and how the result is shown. A library user passes
 * their own part where they want one (a custom parameterization, a step rule); `partsFromSettings`
 * builds every part from the plain-JSON settings that presets, the CLI and the workbench use.
 */
import * as tf from '@tensorflow/tfjs';
import { ConvscopeError } from '../errors.js';
import type { Parameterization } from '../parameterizations/parameterization.js';
import type { ParameterizationContext } from '../parameterizations/parameterization-record.js';
import { createParameterization } from '../parameterizations/registry.js';
import { penalty } from '../regularizers/penalties.js';
import { yosinskiOperations, type PostStepOperation } from '../regularizers/yosinski.js';
import type { TransformPart } from '../transforms/transform-schedule.js';
import type { DiversitySettings, OptimizationSettings } from './settings.js';
import { createStepRule, type StepRule } from './step-rules.js';

export interface MaximizeParts {
  /** Builds the images' variables for a batch (`createParameterization` for a spec). */
  parameterization(context: ParameterizationContext): Parameterization;
  /**
   * The random views: data ('standard': Lucid's set, shrinking over the run to amounts scaled
   * to the image size; transform-schedule.ts), which an engine can run fused, or a function.
   * `[]`: the network sees the image itself.
   */
  transform: TransformPart;
  /** The step rule for `batch` images (each image's step is its own). */
  stepRule(batch: number): StepRule;
  /** Operations on the pixel image after each step (need a `pixels` parameterization). */
  postStep: readonly PostStepOperation[];
  /** How images are shown and scored: as they are, or e.g. standardized. */
  display(images: tf.Tensor4D): tf.Tensor4D;
  /** A penalty per image subtracted from the objective (absent: none). */
  penalty?(image: tf.Tensor4D): tf.Tensor1D;
  steps: number;
  /** Let gradients through dead ReLUs for this many first steps (Lucid: 16). */
  redirectSteps: number;
  /** Images per objective, pushed apart by Lucid's diversity term. */
  diversity?: DiversitySettings;
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
 * Every part from settings: what `maximize` does with a preset.
 * @example maximize(model, objectives, partsFromSettings(getPreset('lucid').settings))
 */
export function partsFromSettings(settings: OptimizationSettings): MaximizeParts {
  const { penalties } = settings;
  return {
    parameterization: (context) => createParameterization(settings.parameterization, context),
    transform: settings.transforms,
    stepRule: (batch) => createStepRule({ ...settings.stepRule }, batch),
    postStep: yosinskiOperations(settings.yosinski),
    display: settings.display === 'standardize' ? standardize : (images) => images,
    ...(penalties.totalVariation > 0 || penalties.lpNorm > 0
      ? { penalty: (image: tf.Tensor4D) => penalty(image, penalties) }
      : {}),
    steps: settings.steps,
    redirectSteps: settings.redirectSteps,
    ...(settings.diversity ? { diversity: settings.diversity } : {}),
  };
}

/** Yosinski's operations need a pixel variable; the error says which image lacks one and the fix. */
export function postStepError(
  operations: readonly PostStepOperation[],
  parameterization: Parameterization,
): ConvscopeError | null {
  if (operations.length === 0 || parameterization.pixels) return null;
  return new ConvscopeError(
    `Yosinski's post-step operations (${operations.map((o) => o.name).join(', ')}) act on a pixel image, not on a '${parameterization.kind}' image`,
    'use --parameterization pixel-linear, or turn them off (--decay 0 --blur-every 0 --norm-pct 0 --contrib-pct 0)',
  );
}

/**
 * Checks settings before a run is split into shards or sent to a worker: the operations' values
 * and that the parameterization has what they act on (built at 2x2 to ask it).
 */
export function checkSettings(settings: OptimizationSettings, channels: number): void {
  const operations = yosinskiOperations(settings.yosinski);
  if (operations.length === 0) return;
  const probe = createParameterization(settings.parameterization, {
    shape: { batch: 1, height: 2, width: 2, channels },
    seed: 0,
  });
  const error = postStepError(operations, probe);
  probe.dispose();
  if (error) throw error;
}

/** Parts as given, or built from settings. */
export const asParts = (given: MaximizeParts | OptimizationSettings): MaximizeParts =>
  typeof (given as MaximizeParts).stepRule === 'function'
    ? (given as MaximizeParts)
    : partsFromSettings(given as OptimizationSettings);
