/**
 * What an attribution explains: a unit (one channel of a layer, seeded with its whole
 * activation map or a one-hot at one position) or a class (its pre-softmax logit). A target
 * becomes a scalar objective whose gradient is the seed of the backward pass: for the whole
 * map, objective = 0.5 * sum(A_k^2), whose gradient with respect to A_k is A_k itself (the
 * seed Zeiler & Fergus use); for a position, objective = A_k[y, x] (a one-hot seed). On an
 * engine the seeds are that gradient, handed to its vector-Jacobian product.
 */
import * as tf from '@tensorflow/tfjs';
import {
  engineActivations,
  fromArrayBatch,
  toArrayBatch,
  usesEngine,
} from '../engines/engine-tensors.js';
import type { ArrayBatch, NetworkEngine } from '../engines/network-engine.js';
import { ConvscopeError } from '../errors.js';
import { LOGITS, type ForwardOptions } from '../models/forward.js';
import type { VisModel } from '../models/vis-model.js';
import { channelIndex } from './index-spec.js';

export type AttributionTarget =
  | {
      kind: 'unit';
      layer: string;
      channel: number;
      /** One-hot seed at [y, x], or at the image's strongest location ('max'); absent: whole map. */
      position?: [number, number] | 'max';
    }
  | { kind: 'class'; index: number };

/** A target with its position resolved ([y, x] or none). */
export type ResolvedTarget =
  | { kind: 'unit'; layer: string; channel: number; position?: [number, number] }
  | { kind: 'class'; index: number };

/**
 * Checks a target against the model and resolves `position: 'max'` on `images` (first image),
 * with the forward pass on `engine` when it is not TF.js.
 */
export async function resolveTarget(
  model: VisModel,
  images: tf.Tensor4D,
  target: AttributionTarget,
  engine?: NetworkEngine,
): Promise<ResolvedTarget> {
  if (target.kind === 'class') {
    model.classIndex(target.index);
    return target;
  }
  if (target.channel === undefined && 'filter' in target) {
    // Library callers written before issue 18 named the channel `filter`.
    throw new ConvscopeError(
      "an attribution target names its layer's channel as `channel` (it was `filter`)",
      `use { kind: 'unit', layer: '${target.layer}', channel: ${String(target.filter)} }`,
    );
  }
  const node = model.layer(target.layer);
  channelIndex(node, target.channel);
  if (target.position === undefined || !node.spatial) {
    return { kind: 'unit', layer: target.layer, channel: target.channel };
  }
  const [height, width] = node.outputShape as number[];
  if (target.position !== 'max') {
    const [y, x] = target.position;
    if (!(y >= 0 && y < height && x >= 0 && x < width)) {
      throw new ConvscopeError(
        `position ${y},${x} is outside layer '${target.layer}' (${height}x${width})`,
      );
    }
    return { ...target, position: [y, x] };
  }
  const first = images.slice(0, 1);
  const map = await layerOutput(model, first, target.layer, engine);
  first.dispose();
  const argmax = tf.tidy(() => tf.argMax(tf.gather(map, [target.channel], 3).reshape([-1])));
  map.dispose();
  const flat = (await argmax.data())[0];
  argmax.dispose();
  return { ...target, position: [Math.floor(flat / width), flat % width] };
}

/**
 * The output of `layer` (a layer, or `LOGITS`) for images in [0, 1], computed on `engine` when
 * it is not TF.js; the caller disposes it.
 */
export async function layerOutput(
  model: VisModel,
  images: tf.Tensor4D,
  layer: string,
  engine?: NetworkEngine,
): Promise<tf.Tensor> {
  if (usesEngine(engine)) return (await engineActivations(engine, model, images, [layer]))[layer];
  return tf.tidy(() => model.activations(images, [layer])[layer]);
}

/** The output a target reads: a layer's, or the pre-softmax logits (`LOGITS`). */
export function targetLayer(target: ResolvedTarget): string {
  return target.kind === 'class' ? LOGITS : target.layer;
}

/** The scalar objective of a target from its layer's output (see `targetLayer`), batch-summed. */
export function objectiveOf(target: ResolvedTarget, output: tf.Tensor): tf.Scalar {
  if (target.kind === 'class') return tf.sum(tf.gather(output, [target.index], 1));
  const channel = tf.gather(output, [target.channel], output.rank - 1);
  if (!target.position) return tf.mul(0.5, tf.sum(tf.square(channel)));
  const [y, x] = target.position;
  return tf.sum(tf.slice(channel, [0, y, x, 0], [-1, 1, 1, 1]));
}

/**
 * The scalar objective of a resolved target on a batch (summed over the batch, so each image
 * gets its own gradient). Run inside `tf.grad`.
 */
export function targetObjective(
  model: VisModel,
  images: tf.Tensor4D,
  target: ResolvedTarget,
  options: ForwardOptions = {},
): tf.Scalar {
  const output =
    target.kind === 'class'
      ? model.logits(images, options)
      : model.activations(images, [target.layer], options)[target.layer];
  return objectiveOf(target, output);
}

/**
 * The seeds of a target's backward pass on an engine for a model-space batch: d objective / d
 * output of its layer. A class or a position is a one-hot (no forward pass); the whole map is
 * the channel's activations, which the engine computes first.
 */
export async function targetSeeds(
  model: VisModel,
  target: ResolvedTarget,
  input: ArrayBatch,
  engine: NetworkEngine,
): Promise<Record<string, ArrayBatch>> {
  const layer = targetLayer(target);
  const batch = input.shape[0];
  const output =
    target.kind === 'class'
      ? tf.zeros([batch, model.classes])
      : target.position
        ? tf.zeros([batch, ...(model.layer(layer).outputShape as number[])])
        : fromArrayBatch((await engine.activations(input, [layer]))[layer]);
  const seed = tf.tidy(() => tf.grad((o: tf.Tensor) => objectiveOf(target, o))(output));
  output.dispose();
  try {
    return { [layer]: await toArrayBatch(seed) };
  } finally {
    seed.dispose();
  }
}

/** True when `ancestor` is `layer` or feeds it (directly or not). */
export function feeds(model: VisModel, ancestor: string, layer: string): boolean {
  const stack = [layer];
  const seen = new Set<string>();
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (name === ancestor) return true;
    if (seen.has(name)) continue;
    seen.add(name);
    stack.push(...model.layer(name).inputs);
  }
  return false;
}
