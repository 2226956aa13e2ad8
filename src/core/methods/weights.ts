/**
 * Filter weights as pictures: the kernels of a convolution layer as tiles. First-layer kernels
 * (1 or 3 input channels) are one tile per filter; deeper kernels are one tile per (filter,
 * input channel) slice, or the mean over input channels. By default zero is the reference
 * (`signed`): a weight w shows as w / (2m) + 0.5 with m = max |w|, through a diverging colormap
 * for one-channel tiles (blue < 0 < red, zero near-white) and per color channel for RGB tiles
 * (zero mid-gray), so the sign of every weight can be read. `minmax` maps [min, max] to [0, 1]
 * instead. The scale m (or the range) is per filter by default (every slice of a filter on the
 * same scale) or shared across the layer.
 */
import type * as tf from '@tensorflow/tfjs';
import { ConvscopeError } from '../errors.js';
import { applyColormap, diverging } from '../image/colormap.js';
import { minMax, normalizeMinMax, normalizeSigned } from '../image/normalize.js';
import { rgbaFromFloats, type RgbaImage } from '../image/rgba.js';
import type { VisModel } from '../models/vis-model.js';
import { channelIndex } from './index-spec.js';

/** How input channels become tiles: auto = rgb for 1 or 3 inputs, else slices. */
export type InputChannelMode = 'auto' | 'rgb' | 'slices' | 'mean';

export interface FilterWeightsOptions {
  /** Filters to show (default all). */
  filters?: number[];
  /** One min-max range for the whole layer instead of one per filter. */
  sharedScale?: boolean;
  inputChannels?: InputChannelMode;
  /** `signed` (default): zero-centred, diverging colors; `minmax`: [min, max] to [0, 1] gray. */
  display?: WeightDisplay;
}

export type WeightDisplay = 'signed' | 'minmax';

export interface WeightTile {
  filter: number;
  /** The input channel of a slice (absent for rgb and mean tiles). */
  inputChannel?: number;
  image: RgbaImage;
}

export interface FilterWeights {
  layer: string;
  /** [height, width, inputChannels, filters] (HWIO). */
  kernelShape: [number, number, number, number];
  mode: Exclude<InputChannelMode, 'auto'>;
  /** Tiles in filter order (slices of one filter together, in input-channel order). */
  tiles: WeightTile[];
  /** Raw min and max per shown filter. */
  ranges: { filter: number; min: number; max: number }[];
  display: WeightDisplay;
  /** `signed` display: m per shown filter (tile colors span [-m, m]; one m for a shared scale). */
  limits: { filter: number; limit: number }[];
  /** True when the colors of every tile share one scale (--shared-scale). */
  shared: boolean;
}

/** max |v| (0 for an empty array). */
function largestMagnitude(values: ArrayLike<number>): number {
  const { min, max } = minMax(values);
  return Math.max(Math.abs(min), Math.abs(max));
}

/** The HWIO kernel of a Conv2D layer as a tensor (owned by the layer: do not dispose). */
function kernelOf(model: VisModel, layerName: string): tf.Tensor4D {
  const node = model.layer(layerName);
  const kernel = (node.layer as unknown as { kernel?: { read(): tf.Tensor } }).kernel;
  if (node.kind !== 'Conv2D' || !kernel) {
    const convs = model.layers.filter((l) => l.kind === 'Conv2D').map((l) => l.name);
    throw new ConvscopeError(
      `layer '${layerName}' (${node.kind}) has no convolution kernel`,
      `choose a Conv2D layer: ${convs.join(', ')}`,
    );
  }
  return kernel.read() as tf.Tensor4D;
}

/**
 * The kernels of a Conv2D layer as normalized tiles.
 *
 * @example const { tiles } = await filterWeights(model, 'block1_conv1');
 */
export async function filterWeights(
  model: VisModel,
  layerName: string,
  options: FilterWeightsOptions = {},
): Promise<FilterWeights> {
  const kernel = kernelOf(model, layerName);
  const [kh, kw, cin, cout] = kernel.shape;
  const values = await kernel.data();
  const filters = options.filters ?? Array.from({ length: cout }, (_, i) => i);
  for (const f of filters) channelIndex({ name: layerName, channels: cout }, f, 'filter');
  let mode = options.inputChannels ?? 'auto';
  if (mode === 'auto') mode = cin === 1 || cin === 3 ? 'rgb' : 'slices';
  if (mode === 'rgb' && cin !== 1 && cin !== 3) {
    throw new ConvscopeError(
      `layer '${layerName}' has ${cin} input channels; rgb tiles need 1 or 3`,
      'use slices or mean',
    );
  }
  // HWC values of one filter: kernel[y][x][c][f].
  const filterValues = (f: number) => {
    const out = new Float64Array(kh * kw * cin);
    for (let i = 0; i < kh * kw * cin; i++) out[i] = values[i * cout + f];
    return out;
  };
  const signed = (options.display ?? 'signed') === 'signed';
  const shared = options.sharedScale ? minMax(values) : undefined;
  const sharedLimit = options.sharedScale ? largestMagnitude(values) : undefined;
  // One-channel values to a tile: zero-centred diverging colors, or min-max gray.
  const single = (v: ArrayLike<number>, limit: number, range = minMax(v)) =>
    signed
      ? applyColormap(normalizeSigned(v, limit), kw, kh, diverging)
      : rgbaFromFloats(normalizeMinMax(v, shared ?? range), kw, kh, 1);
  const tiles: WeightTile[] = [];
  const ranges: FilterWeights['ranges'] = [];
  const limits: FilterWeights['limits'] = [];
  for (const f of filters) {
    const raw = filterValues(f);
    ranges.push({ filter: f, ...minMax(raw) });
    if (mode === 'mean') {
      const mean = new Float64Array(kh * kw);
      for (let p = 0; p < kh * kw; p++) {
        for (let c = 0; c < cin; c++) mean[p] += raw[p * cin + c] / cin;
      }
      const limit = sharedLimit ?? largestMagnitude(mean);
      limits.push({ filter: f, limit });
      tiles.push({ filter: f, image: single(mean, limit) });
      continue;
    }
    const limit = sharedLimit ?? largestMagnitude(raw);
    limits.push({ filter: f, limit });
    if (mode === 'rgb' && cin === 1) {
      tiles.push({ filter: f, image: single(raw, limit) });
      continue;
    }
    const normalized = signed
      ? normalizeSigned(raw, limit)
      : normalizeMinMax(raw, shared ?? minMax(raw));
    if (mode === 'rgb') {
      tiles.push({ filter: f, image: rgbaFromFloats(normalized, kw, kh, cin) });
      continue;
    }
    for (let c = 0; c < cin; c++) {
      const slice = new Float64Array(kh * kw);
      for (let p = 0; p < kh * kw; p++) slice[p] = raw[p * cin + c];
      const image = signed
        ? single(slice, limit)
        : rgbaFromFloats(
            Float64Array.from({ length: kh * kw }, (_, p) => normalized[p * cin + c]),
            kw,
            kh,
            1,
          );
      tiles.push({ filter: f, inputChannel: c, image });
    }
  }
  return {
    layer: layerName,
    kernelShape: [kh, kw, cin, cout],
    mode,
    tiles,
    ranges,
    display: signed ? 'signed' : 'minmax',
    limits,
    shared: Boolean(options.sharedScale),
  };
}
