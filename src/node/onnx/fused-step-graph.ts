/**
 * The fused step's graph (the image side around the network, one ONNX graph) and its feeds:
 * the spectrum, the Fourier constants, each view map's taps, the preprocessing matrix. See `FusedStepRequest`.
 */
import type { FusedStepRequest } from '../../core/engines/fused-step.js';
import type { ArrayBatch } from '../../core/engines/network-engine.js';
import { lowerToOnnx, type LoweringModel, type LoweringRequest } from './lower-graph.js';
import {
  imageSideInputs as names,
  lowerImageBackward,
  lowerImageForward,
  type ImageSideShape,
  type ImageSideState,
} from './lower-image-side.js';

/** Gather indices for ONNX Runtime. */
export interface IntBatch {
  data: Int32Array;
  shape: number[];
}

export function lowerFusedStep(
  model: LoweringModel,
  request: LoweringRequest,
  shape: ImageSideShape,
): Uint8Array {
  let state: ImageSideState | undefined;
  return lowerToOnnx(model, request, {
    input: (b) => {
      const forward = lowerImageForward(b, shape);
      state = forward.state;
      return forward.input;
    },
    gradient: (b, value) => lowerImageBackward(b, state!, value),
  });
}

const floats = (values: number[][] | number[], shape: number[]): ArrayBatch => ({
  data: Float32Array.from(values.flat()),
  shape,
});

/** The feeds of the image side (seeds and redirect flags are the network's). */
export function fusedFeeds(request: FusedStepRequest): Record<string, ArrayBatch | IntBatch> {
  const { image, preprocess } = request;
  const c = image.channels;
  const feeds: Record<string, ArrayBatch | IntBatch> = {
    [names.real]: request.real,
    [names.imaginary]: request.imaginary,
    [names.scale]: { data: image.scale, shape: [image.height, image.scale.length / image.height] },
    [names.colour]: floats(image.colour, [c, c]),
    [names.offset]: { data: image.offset, shape: [c, image.height * image.width] },
    [names.matrix]: floats(preprocess.matrix, [c, c]),
    [names.bias]: floats(preprocess.bias, [c, 1]),
  };
  request.view.forEach((map, i) => {
    const n = map.outHeight * map.outWidth;
    feeds[names.map(i, 'index')] = { data: map.index, shape: [map.taps, n] };
    feeds[names.map(i, 'weight')] = { data: map.weight, shape: [map.taps, n] };
    feeds[names.map(i, 'constant')] = { data: map.constant, shape: [n] };
  });
  return feeds;
}
