/**
 * One activation-maximization step on an engine other than TF.js (ONNX Runtime in Node): the
 * image side (parameterization, transforms, preprocessing, penalties) stays in TF.js; the
 * network's forward pass and input gradient come from the engine; the two are chained at the
 * network boundary. The view the network sees is computed twice, once to get its values and
 * once inside `tf.variableGrads` to differentiate it against the engine's gradient, so the
 * random transform draws are recorded on the first pass and replayed on the second.
 *
 * For objectives linear in the activations (channel, neuron, class logit) the gradient with
 * respect to the activations is the same at every step: it is computed once, and each step is
 * a single engine call that returns the scores' activations and the input gradient. Other
 * objectives take two calls: activations, then the gradient from their seeds.
 */
import * as tf from '@tensorflow/tfjs';
import { fromArrayBatch, modelInputOf, toArrayBatch } from '../engines/engine-tensors.js';
import type { FusedStepEngine, FourierImageSpec } from '../engines/fused-step.js';
import type { ArrayBatch, NetworkEngine } from '../engines/network-engine.js';
import { LOGITS } from '../models/forward.js';
import type { VisModel } from '../models/vis-model.js';
import type { Activations, Objective } from '../objectives/objective.js';
import type { Parameterization } from '../parameterizations/parameterization.js';
import type { SparseMap } from '../transforms/sparse-map.js';
import type { Rng } from './rng.js';

/** Scores of a batch, one per image (the loop's `itemScores`). */
export type ScoreFunction = (objectives: Objective[], activations: Activations) => tf.Tensor1D;

/** An Rng whose draws are recorded, and a second one that replays them in order. */
export function recordingRng(rng: Rng): { rng: Rng; replay: () => Rng } {
  const draws: number[] = [];
  const wrap = (next: () => number): Rng => ({
    next,
    int: (n) => Math.floor(next() * n),
    pick: (values) => values[Math.floor(next() * values.length)],
    seed: () => Math.floor(next() * 2147483647),
  });
  return {
    rng: wrap(() => {
      const value = rng.next();
      draws.push(value);
      return value;
    }),
    replay: () => {
      let i = 0;
      return wrap(() => draws[i++]);
    },
  };
}

const toTensors = (batches: Record<string, ArrayBatch>): Activations =>
  Object.fromEntries(Object.entries(batches).map(([k, v]) => [k, fromArrayBatch(v)]));

const disposeAll = (map: Record<string, tf.Tensor>) =>
  Object.values(map).forEach((t) => t.dispose());

export interface EngineStepResult {
  /** Gradients of the objective (minus penalties) by variable name. */
  grads: tf.NamedTensorMap;
  /** Each image's score on the transformed view. */
  scores: number[];
}

export class EngineStep {
  private constantSeeds: Record<string, ArrayBatch> | null = null;
  private fourierSpec: Promise<FourierImageSpec> | null = null;

  constructor(
    private readonly engine: NetworkEngine,
    private readonly model: VisModel,
    private readonly objectives: Objective[],
    private readonly layers: string[],
    private readonly score: ScoreFunction,
  ) {}

  private shapeOf(layer: string, batch: number): number[] {
    return layer === LOGITS
      ? [batch, this.model.classes]
      : [batch, ...(this.model.layer(layer).outputShape as number[])];
  }

  /** d sum(scores) / d activations: constant for linear objectives, else at `activations`. */
  private async seeds(
    activations: Activations | null,
    batch: number,
  ): Promise<Record<string, ArrayBatch>> {
    const at =
      activations ??
      Object.fromEntries(this.layers.map((l) => [l, tf.zeros(this.shapeOf(l, batch))]));
    const names = this.layers;
    const grads = tf.tidy(() =>
      tf.grads((...values: tf.Tensor[]) =>
        tf.sum(
          this.score(this.objectives, Object.fromEntries(names.map((n, i) => [n, values[i]]))),
        ),
      )(names.map((n) => at[n])),
    );
    if (!activations) disposeAll(at);
    const result: Record<string, ArrayBatch> = {};
    for (let i = 0; i < names.length; i++) result[names[i]] = await toArrayBatch(grads[i]);
    grads.forEach((g) => g.dispose());
    return result;
  }

  /** Scores of images in [0, 1] (no transforms), one per image. */
  async measure(images: tf.Tensor4D): Promise<number[]> {
    const input = await modelInputOf(this.model, images);
    return this.scoresOf(await this.engine.activations(input, this.layers));
  }

  /**
   * The gradients of one step. `view` maps the parameterization's image to what the network
   * sees (transforms, resizing, preprocessing) with the given Rng; `penalty` is per image.
   */
  async gradients(
    variables: tf.Variable[],
    image: () => tf.Tensor4D,
    view: (image: tf.Tensor4D, rng: Rng) => tf.Tensor4D,
    penalty: (image: tf.Tensor4D) => tf.Tensor1D,
    rng: Rng,
    rule: { rule: 'gradient' | 'redirected'; redirect?: boolean[] },
  ): Promise<EngineStepResult> {
    const recorder = recordingRng(rng);
    const seen = tf.tidy(() => view(image(), recorder.rng));
    const input = await toArrayBatch(seen);
    seen.dispose();
    const batch = input.shape[0];
    const linear = this.objectives.every((o) => o.linear);
    let gradient: ArrayBatch;
    let scores: number[];
    if (linear) {
      this.constantSeeds ??= await this.seeds(null, batch);
      const result = await this.engine.vjp({
        input,
        seeds: this.constantSeeds,
        ...rule,
        outputs: this.layers,
      });
      gradient = result.gradient;
      scores = await this.scoresOf(result.outputs);
    } else {
      const outputs = await this.engine.activations(input, this.layers);
      scores = await this.scoresOf(outputs);
      const activations = toTensors(outputs);
      const seeds = await this.seeds(activations, batch);
      disposeAll(activations);
      gradient = (await this.engine.vjp({ input, seeds, ...rule })).gradient;
    }
    const upstream = tf.tensor(gradient.data, gradient.shape);
    const replay = recorder.replay();
    const { value, grads } = tf.variableGrads(() => {
      const current = image();
      const chained = tf.sum(tf.mul(view(current, replay), upstream));
      return tf.sub(chained, tf.sum(penalty(current))) as tf.Scalar;
    }, variables);
    value.dispose();
    upstream.dispose();
    return { grads, scores };
  }

  /**
   * One step in a single engine call (`FusedStepRequest`): only for linear objectives and a
   * Fourier image without penalties. Null when the engine declines (e.g. it fell back to
   * TF.js); the caller then takes the plain path.
   */
  async fusedGradients(
    engine: FusedStepEngine,
    parameterization: Parameterization,
    view: SparseMap[],
    preprocess: { matrix: number[][]; bias: number[] },
    rule: { rule: 'gradient' | 'redirected'; redirect?: boolean[] },
  ): Promise<EngineStepResult | null> {
    const fourier = parameterization.fourier!;
    const batch = parameterization.shape.batch;
    this.constantSeeds ??= await this.seeds(null, batch);
    this.fourierSpec ??= fourier.spec();
    const [real, imaginary] = await Promise.all(
      [fourier.real, fourier.imaginary].map((v) => toArrayBatch(v)),
    );
    const result = await engine.fusedStep({
      image: await this.fourierSpec,
      real,
      imaginary,
      view,
      preprocess,
      seeds: this.constantSeeds,
      ...rule,
      outputs: this.layers,
    });
    if (!result) return null;
    return {
      grads: {
        [fourier.real.name]: fromArrayBatch(result.real),
        [fourier.imaginary.name]: fromArrayBatch(result.imaginary),
      },
      scores: await this.scoresOf(result.outputs),
    };
  }

  private async scoresOf(outputs: Record<string, ArrayBatch>): Promise<number[]> {
    const activations = toTensors(outputs);
    const scores = tf.tidy(() => this.score(this.objectives, activations));
    disposeAll(activations);
    const values = Array.from(await scores.data());
    scores.dispose();
    return values;
  }
}
