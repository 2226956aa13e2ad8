/**
 * Grad-CAM (Selvaraju et al. 2017): which regions of a conv layer's maps a class (or a unit of
 * a later layer) depends on. With A_k the layer's maps and g_k the gradient of the target with
 * respect to them, the channel weights are w_k = mean over positions of g_k and the map is
 * ReLU(sum_k w_k A_k), upsampled bilinearly to the input size. The gradient with respect to
 * an intermediate layer comes from a zero "probe" added to its output (ForwardOptions.tap);
 * on an engine other than TF.js, from its vector-Jacobian product at that layer (`at`), which
 * also returns the layer's maps.
 */
import * as tf from '@tensorflow/tfjs';
import { fromArrayBatch, modelInputOf, usesEngine } from '../engines/engine-tensors.js';
import type { NetworkEngine } from '../engines/network-engine.js';
import { ConvscopeError } from '../errors.js';
import type { VisModel } from '../models/vis-model.js';
import { feeds, targetObjective, targetSeeds, type ResolvedTarget } from './attribution-target.js';

/** The default Grad-CAM layer: the last Conv2D feeding the target (before it, when possible). */
export function defaultCamLayer(model: VisModel, target: ResolvedTarget): string {
  const convs = model.layers.filter((l) => l.kind === 'Conv2D' && l.spatial).map((l) => l.name);
  if (target.kind === 'class') {
    if (convs.length === 0)
      throw new ConvscopeError('Grad-CAM needs a Conv2D layer; the model has none');
    return convs[convs.length - 1];
  }
  const before = convs.filter((c) => c !== target.layer && feeds(model, c, target.layer));
  if (before.length > 0) return before[before.length - 1];
  if (model.layer(target.layer).spatial) return target.layer;
  throw new ConvscopeError(`no conv layer feeds '${target.layer}'`, 'pass a --cam-layer');
}

/** The maps A of `camLayer` and d target / d A, on `engine` when it is not TF.js. */
async function mapsAndGradient(
  model: VisModel,
  images: tf.Tensor4D,
  target: ResolvedTarget,
  camLayer: string,
  engine?: NetworkEngine,
): Promise<[tf.Tensor4D, tf.Tensor4D]> {
  if (usesEngine(engine)) {
    const input = await modelInputOf(model, images);
    const seeds = await targetSeeds(model, target, input, engine);
    const { gradient, outputs } = await engine.vjp({
      input,
      seeds,
      rule: 'gradient',
      at: camLayer,
      outputs: [camLayer],
    });
    return [fromArrayBatch(outputs[camLayer]), fromArrayBatch(gradient)] as [
      tf.Tensor4D,
      tf.Tensor4D,
    ];
  }
  return tf.tidy(() => {
    const maps = model.activations(images, [camLayer])[camLayer] as tf.Tensor4D;
    const probe = tf.zerosLike(maps);
    const gradient = tf.grad((p: tf.Tensor) =>
      targetObjective(model, images, target, {
        tap: (layer, output) => (layer === camLayer ? tf.add(output, p) : output),
      }),
    )(probe) as tf.Tensor4D;
    return [maps, gradient] as [tf.Tensor4D, tf.Tensor4D];
  });
}

/**
 * Grad-CAM of a target for one image [1, h, w, c]: the upsampled map and the raw one, with
 * the network on `engine` when it is not TF.js.
 */
export async function gradCam(
  model: VisModel,
  images: tf.Tensor4D,
  target: ResolvedTarget,
  camLayer = defaultCamLayer(model, target),
  engine?: NetworkEngine,
): Promise<{
  values: Float32Array;
  shape: [number, number, number];
  camLayer: string;
  cam: { values: Float32Array; height: number; width: number };
}> {
  const node = model.layer(camLayer);
  const targetLayer = target.kind === 'unit' ? target.layer : null;
  if (!node.spatial || (targetLayer && !feeds(model, camLayer, targetLayer))) {
    throw new ConvscopeError(
      `Grad-CAM layer '${camLayer}' must be a spatial layer that feeds the target`,
      'choose a conv layer at or before the target layer',
    );
  }
  const [, h, w] = images.shape;
  const [maps, gradient] = await mapsAndGradient(model, images, target, camLayer, engine);
  const [small, large] = tf.tidy(() => {
    const weights = tf.mean(gradient, [1, 2], true);
    const cam = tf.relu(tf.sum(tf.mul(maps, weights), 3, true)) as tf.Tensor4D;
    return [cam, tf.image.resizeBilinear(cam, [h, w], false, true)];
  });
  tf.dispose([maps, gradient]);
  const [height, width] = small.shape.slice(1, 3);
  const cam = { values: (await small.data()) as Float32Array, height, width };
  const values = (await large.data()) as Float32Array;
  small.dispose();
  large.dispose();
  return { values, shape: [h, w, 1], camLayer, cam };
}
