/**
 * Feature maps: what each channel of some layers computes for one image. One forward pass
 * reads every requested layer; each chosen channel becomes a tile, normalized per channel
 * (each tile uses its full range) or per layer (tiles comparable within a layer), shown in
 * gray or through a colormap, with statistics (mean, min, max) per channel. The forward pass
 * runs on `options.engine` when it is not TF.js (ONNX Runtime in Node), else in TF.js.
 */
import * as tf from '@tensorflow/tfjs';
import { engineActivations, usesEngine } from '../engines/engine-tensors.js';
import type { NetworkEngine } from '../engines/network-engine.js';
import { ConvscopeError } from '../errors.js';
import { applyColormap, gray, viridis } from '../image/colormap.js';
import { channelOf, minMax, normalizeMinMax } from '../image/normalize.js';
import type { RgbaImage } from '../image/rgba.js';
import type { LayerNode } from '../models/layer-graph.js';
import type { VisModel } from '../models/vis-model.js';
import { channelIndex } from './index-spec.js';

export interface FeatureMapOptions {
  /** Channels per layer (default all), by layer name. */
  channels?: Record<string, number[]>;
  /** `channel` (default): each tile on its own range; `layer`: one range per layer. */
  normalize?: 'channel' | 'layer';
  /** `viridis` or `gray` (default). */
  colormap?: 'viridis' | 'gray';
  /** Also return each layer's whole activation array (all channels), as `raw`. */
  raw?: boolean;
  /** Runs the forward pass (when it is not TF.js; default: TF.js on the active backend). */
  engine?: NetworkEngine;
}

export interface ChannelMap {
  index: number;
  mean: number;
  min: number;
  max: number;
  image: RgbaImage;
}

export interface LayerMaps {
  name: string;
  height: number;
  width: number;
  channels: ChannelMap[];
  /** With `raw: true`: the layer's activations exactly as computed, NHWC [1, h, w, channels]. */
  raw?: { values: Float32Array; shape: [1, number, number, number] };
}

/**
 * The "first conv of each block" layers of the classic feature-map figure: the first Conv2D
 * and every Conv2D whose output size differs from the previous Conv2D's (a new block starts
 * after each downsampling).
 */
export function firstConvOfEachBlock(layers: LayerNode[]): string[] {
  return convBlocks(layers).map((block) => block[0]);
}

/** Runs of consecutive Conv2Ds with the same spatial output size (a block ends at a pool). */
function convBlocks(layers: LayerNode[]): string[][] {
  const blocks: string[][] = [];
  let size = '';
  for (const node of layers) {
    if (node.kind !== 'Conv2D' || !node.spatial) continue;
    const here = node.outputShape.slice(0, 2).join('x');
    if (here === size) blocks[blocks.length - 1].push(node.name);
    else blocks.push([node.name]);
    size = here;
  }
  return blocks;
}

/**
 * The last Conv2D of each block, with blocks found as in `firstConvOfEachBlock` (runs of
 * Conv2Ds with the same output size): the layers of the classic activation-maximization
 * figure (VGG16: block1_conv2 ... block5_conv3).
 */
export function lastConvOfEachBlock(layers: LayerNode[]): string[] {
  return convBlocks(layers).map((block) => block[block.length - 1]);
}

/**
 * Feature maps of `layers` for one image [height, width, channels] in [0, 1].
 *
 * @example const [maps] = await featureMaps(model, image, ['block1_conv1'], { colormap: 'viridis' });
 */
export async function featureMaps(
  model: VisModel,
  image: tf.Tensor3D,
  layers: string[],
  options: FeatureMapOptions = {},
): Promise<LayerMaps[]> {
  for (const name of layers) {
    const node = model.layer(name);
    if (!node.spatial) {
      throw new ConvscopeError(
        `layer '${name}' (${node.kind}) has no spatial feature maps`,
        'choose a convolution or pooling layer (see `convscope layers`)',
      );
    }
  }
  const images = tf.expandDims(image, 0) as tf.Tensor4D;
  let activations: Record<string, tf.Tensor>;
  try {
    activations = usesEngine(options.engine)
      ? await engineActivations(options.engine, model, images, layers)
      : tf.tidy(() => model.activations(images, layers));
  } finally {
    images.dispose();
  }
  const colormap = options.colormap === 'viridis' ? viridis : gray;
  const result: LayerMaps[] = [];
  try {
    for (const name of layers) {
      const tensor = activations[name];
      const [, height, width, count] = tensor.shape as [number, number, number, number];
      const values = await tensor.data();
      const wanted = options.channels?.[name] ?? Array.from({ length: count }, (_, i) => i);
      for (const c of wanted) channelIndex({ name, channels: count }, c);
      const layerRange = options.normalize === 'layer' ? minMax(values) : undefined;
      const channels = wanted.map((index) => {
        const map = channelOf(values, count, index);
        const range = minMax(map);
        let sum = 0;
        for (const v of map) sum += v;
        // A constant map (a dead unit) shows as black, not as mid-gray.
        const flat = { min: Math.min(0, range.min), max: range.max > 0 ? range.max : 1 };
        const normalized = normalizeMinMax(
          map,
          layerRange ?? (range.max > range.min ? range : flat),
        );
        const image = applyColormap(normalized, width, height, colormap);
        return { index, mean: sum / map.length, min: range.min, max: range.max, image };
      });
      const raw = options.raw
        ? {
            values: values as Float32Array,
            shape: [1, height, width, count] as [1, number, number, number],
          }
        : undefined;
      result.push({ name, height, width, channels, ...(raw ? { raw } : {}) });
    }
  } finally {
    for (const t of Object.values(activations)) t.dispose();
  }
  return result;
}
