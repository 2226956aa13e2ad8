/**
 * The worker's one-shot views, each a thin call into core: what a model is (layers, shapes,
 * receptive fields), feature maps with the top-5 classes for an image, the weights grid, and
 * the attribution methods of core's registry (their records, and their pictures for a unit or
 * a class).
 */
import * as tf from '@tensorflow/tfjs';
import { attribute } from '../../../src/core/methods/attribution.js';
import { attributionImage } from '../../../src/core/methods/attribution-image.js';
import { ATTRIBUTION_RECORDS } from '../../../src/core/methods/attribution/registry.js';
import { featureMaps, lastConvOfEachBlock } from '../../../src/core/methods/feature-maps.js';
import { filterWeights } from '../../../src/core/methods/weights.js';
import type { VisModel } from '../../../src/core/models/vis-model.js';
import type {
  AttributeRequest,
  AttributeResult,
  AttributionMethodInfo,
  MapsRequest,
  MapsResult,
  ModelInfo,
  WeightsResult,
} from '../bridge/protocol.js';
import { tensorRgba, toInput } from './images.js';

export function modelInfo(model: VisModel): ModelInfo {
  const layers = model.layers.map((node) => ({
    name: node.name,
    kind: node.kind,
    shape: node.outputShape,
    channels: node.channels,
    spatial: node.spatial,
    receptiveField: node.receptiveField?.vertical.size ?? null,
    hasKernel: node.kind === 'Conv2D',
    ...(node.note ? { note: node.note } : {}),
  }));
  const blocks = lastConvOfEachBlock(model.layers);
  const dense = model.layers.some((l) => l.kind === 'Dense');
  return {
    name: model.name,
    input: { height: model.input.height, width: model.input.width, channels: model.input.channels },
    layers,
    labels: model.labels,
    classes: dense ? model.classes : undefined,
    acceptsAnySize: model.acceptsAnySize,
    defaultLayer: blocks[Math.floor(blocks.length / 2)] ?? layers[layers.length - 1].name,
    parameters: model.model.countParams(),
  };
}

function inputOf(model: VisModel, image: MapsRequest['image']): tf.Tensor3D {
  const { height, width, channels } = model.input;
  return toInput(image, height, width, channels);
}

export async function maps(model: VisModel, request: MapsRequest): Promise<MapsResult> {
  const start = performance.now();
  const image = inputOf(model, request.image);
  try {
    const [layer] = await featureMaps(model, image, [request.layer], {
      colormap: request.colormap,
    });
    let top: MapsResult['top'] = [];
    if (model.layers.some((l) => l.kind === 'Dense')) {
      const p = tf.tidy(() => model.predict(image.expandDims(0) as tf.Tensor4D));
      const probabilities = Array.from(await p.data());
      p.dispose();
      top = probabilities
        .map((probability, index) => ({
          index,
          probability,
          label: model.labels?.[index] ?? `class ${index}`,
        }))
        .sort((a, b) => b.probability - a.probability)
        .slice(0, 5);
    }
    return {
      layer: layer.name,
      tiles: layer.channels.map((c) => c.image),
      means: layer.channels.map((c) => c.mean),
      top,
      input: await tensorRgba(image),
      ms: performance.now() - start,
    };
  } finally {
    image.dispose();
  }
}

/** Kernels as tiles: RGB for 1- or 3-channel inputs, else one mean-over-inputs tile a filter. */
export async function weights(model: VisModel, layer: string): Promise<WeightsResult> {
  const kernel = model.layer(layer).layer.getWeights()[0];
  const deep = kernel !== undefined && kernel.rank === 4 && (kernel.shape[2] ?? 0) > 3;
  const result = await filterWeights(model, layer, deep ? { inputChannels: 'mean' } : {});
  return {
    layer,
    kernelShape: result.kernelShape,
    mode: result.mode,
    tiles: result.tiles.map((t) => ({
      filter: t.filter,
      inputChannel: t.inputChannel,
      image: t.image,
    })),
  };
}

/** The registry's records as data for the page (names, papers, options; no code). */
export function attributionMethods(): AttributionMethodInfo[] {
  return ATTRIBUTION_RECORDS.map(({ name, title, paper, interactive, options }) => ({
    name,
    title,
    paper,
    interactive,
    options: options.map((o) => ({ ...o, ...(o.choices ? { choices: [...o.choices] } : {}) })),
  }));
}

export async function attributions(
  model: VisModel,
  request: AttributeRequest,
): Promise<AttributeResult> {
  const image = inputOf(model, request.image);
  try {
    const input = await tensorRgba(image);
    const images: AttributeResult['images'] = [];
    for (const method of request.methods) {
      // A unit is seeded with its whole activation map (the CLI's default), a class with its
      // logit. SmoothGrad takes 16 noisy copies unless told otherwise (a click's worth).
      const options = { samples: 16, ...request.options };
      const a = await attribute(model, image, method, request.target, options);
      const picture = attributionImage(a, input);
      images.push({ method, quantity: a.quantity, image: picture, min: a.min, max: a.max });
    }
    return { input, images };
  } finally {
    image.dispose();
  }
}
