/**
 * Grad-CAM (Selvaraju et al. 2017): which regions of a conv layer's maps a class (or a unit of
 * a later layer) depends on. With A_k the layer's maps and g_k the gradient of the target with
 * respect to them, the channel weights are w_k = mean over positions of g_k and the map is
 * ReLU(sum_k w_k A_k), upsampled bilinearly to the input size. The gradient with respect to
 * an intermediate layer comes from a zero "probe" added to its output (ForwardOptions.tap);
 * on an engine other than TF.js, from its vector-Jacobian product at that layer (`at`), which
 * also returns the layer's maps. The other CAM methods (Grad-CAM++, Score-CAM, guided
 * Grad-CAM) share the layer option, its default and checks, and the weighted sum here.
 */
import * as tf from '@tensorflow/tfjs';
import { fromArrayBatch, modelInputOf, usesEngine } from '../../engines/engine-tensors.js';
import type { NetworkEngine } from '../../engines/network-engine.js';
import { ConvscopeError } from '../../errors.js';
import type { VisModel } from '../../models/vis-model.js';
import { feeds, targetObjective, targetSeeds, type ResolvedTarget } from '../attribution-target.js';
import type {
  AttributionRecord,
  MethodInput,
  MethodOption,
  MethodOutput,
} from './method-record.js';

/** The layer option every CAM method takes (`--cam-layer`). */
export const CAM_LAYER: MethodOption = {
  key: 'camLayer',
  description:
    'Grad-CAM: the layer to weigh (default: the last conv feeding the target); --layer without --filters says the same',
  layer: true,
  placeholder: '<name>',
};

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

/** The CAM layer of a run (its option or the default), checked against the target. */
export function camLayerOf(input: MethodInput): string {
  const { model, target } = input;
  const camLayer = (input.options.camLayer as string | undefined) ?? defaultCamLayer(model, target);
  const node = model.layer(camLayer);
  const targetLayer = target.kind === 'unit' ? target.layer : null;
  if (!node.spatial || (targetLayer && !feeds(model, camLayer, targetLayer))) {
    throw new ConvscopeError(
      `Grad-CAM layer '${camLayer}' must be a spatial layer that feeds the target`,
      'choose a conv layer at or before the target layer',
    );
  }
  return node.name;
}

/** The maps A of `camLayer` and d target / d A, on `engine` when it is not TF.js. */
export async function mapsAndGradient(
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
 * ReLU(sum_k w_k A_k) for maps [n, h', w', k] and weights [n, 1, 1, k], and that map upsampled
 * bilinearly to [h, w]. Disposes neither input.
 */
export function weightedCam(
  maps: tf.Tensor4D,
  weights: tf.Tensor4D,
  camLayer: string,
  [h, w]: [number, number],
): MethodOutput {
  const [cam, values] = tf.tidy(() => {
    const cam = tf.relu(tf.sum(tf.mul(maps, weights), 3, true)) as tf.Tensor4D;
    return [cam, tf.image.resizeBilinear(cam, [h, w], false, true)];
  });
  return { values, cam, camLayer };
}

/**
 * The run of a CAM method whose channel weights [n, 1, 1, k] come from the layer's maps and
 * the target's gradient at them (Grad-CAM: the gradient's mean; Grad-CAM++: its closed form).
 */
export function gradientCam(
  weightsOf: (maps: tf.Tensor4D, gradient: tf.Tensor4D) => tf.Tensor4D,
): AttributionRecord['run'] {
  return async (input) => {
    const { model, images, target, engine } = input;
    const camLayer = camLayerOf(input);
    const [maps, gradient] = await mapsAndGradient(model, images, target, camLayer, engine);
    const weights = weightsOf(maps, gradient);
    const out = weightedCam(maps, weights, camLayer, [images.shape[1], images.shape[2]]);
    tf.dispose([maps, gradient, weights]);
    return out;
  };
}

export const gradCam: AttributionRecord = {
  name: 'gradcam',
  title: 'Grad-CAM',
  paper: 'Selvaraju et al. 2017, Grad-CAM: Visual Explanations from Deep Networks',
  display: 'heat',
  quantity: 'Grad-CAM, over the image in gray',
  options: [CAM_LAYER],
  interactive: true,
  run: gradientCam((_, gradient) => tf.mean(gradient, [1, 2], true) as tf.Tensor4D),
};
