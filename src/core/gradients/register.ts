/**
 * Installs convscope's convolution gradients in tfjs' global gradient registry, so every model
 * (ours, a user's LayersModel, plain tfjs code) computes conv gradients as fast forward
 * convolutions. Gradients stay lazy: tfjs asks only for the inputs on the path from the
 * differentiated tensor, so an input gradient never computes a weight gradient.
 *
 * The max-pool gradient follows one tie rule on every backend (the first maximum of a window,
 * as PyTorch): the CPU kernel and our WASM kernel already do; elsewhere (WebGL and WebGPU route
 * ties to the last maximum) it is computed from plain ops (see max-pool-gradient.ts).
 *
 * `useStockGradients()` restores tfjs' own configs (benchmarks compare both).
 */
import * as tf from '@tensorflow/tfjs';
import {
  conv2dFilterGradient,
  conv2dInputGradient,
  transposedKernelCache,
} from './conv2d-gradients.js';
import { depthwiseFilterGradient, depthwiseInputGradient } from './depthwise-gradients.js';
import { maxPoolGradientFirstMax } from './max-pool-gradient.js';
import { patchWasmKernels, unpatchWasmKernels, wasmKernelsPatched } from './wasm-kernels.js';

interface ConvAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

const stock = new Map<string, tf.GradConfig>();

function geometry(xShape: number[], filterShape: number[], attrs: ConvAttrs, depthwise: boolean) {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    depthwise,
    attrs.dataFormat === 'NCHW' ? 'channelsFirst' : 'channelsLast',
  );
}

function fastConfig(kernelName: string, depthwise: boolean): tf.GradConfig {
  return {
    kernelName,
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
      const conv = attrs as unknown as ConvAttrs;
      const info = geometry(x.shape, filter.shape, conv, depthwise);
      const dy4 = dy as tf.Tensor4D;
      const fallback = () => stock.get(kernelName)!.gradFunc(dy, saved, attrs);
      return {
        x: () =>
          (depthwise
            ? depthwiseInputGradient(dy4, filter, info)
            : conv2dInputGradient(dy4, filter, info)) ?? fallback().x(),
        filter: () =>
          (depthwise
            ? depthwiseFilterGradient(x, dy4, filter.shape, info)
            : conv2dFilterGradient(x, dy4, info)) ?? fallback().filter(),
      };
    },
  };
}

interface PoolAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** Whether the active backend's MaxPoolGrad kernel routes ties to the first maximum. */
function kernelTakesFirstMax(): boolean {
  const backend = tf.getBackend();
  return backend === 'cpu' || (backend === 'wasm' && wasmKernelsPatched());
}

const maxPoolConfig: tf.GradConfig = {
  kernelName: 'MaxPool',
  inputsToSave: ['x'],
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    const x = saved[0] as tf.Tensor4D;
    const pool = attrs as unknown as PoolAttrs;
    return {
      x: () => {
        if (kernelTakesFirstMax()) return stock.get('MaxPool')!.gradFunc(dy, saved, attrs).x();
        const info = tf.backend_util.computePool2DInfo(
          x.shape,
          pool.filterSize,
          pool.strides,
          1,
          pool.pad,
          pool.dimRoundingMode,
        );
        return maxPoolGradientFirstMax(dy as tf.Tensor4D, x, info);
      },
    };
  },
};

const KERNELS: Array<[string, boolean]> = [
  ['Conv2D', false],
  ['DepthwiseConv2dNative', true],
];

/**
 * Registers the fast conv gradients and the one-tie-rule max-pool gradient (idempotent), and
 * patches the WASM backend's kernel set
 * when that backend is loaded (see wasm-kernels.ts).
 */
export function useFastGradients(): void {
  patchWasmKernels();
  for (const [name, depthwise] of KERNELS) {
    if (!stock.has(name)) stock.set(name, tf.getGradient(name));
    tf.registerGradient(fastConfig(name, depthwise));
  }
  if (!stock.has('MaxPool')) stock.set('MaxPool', tf.getGradient('MaxPool'));
  tf.registerGradient(maxPoolConfig);
}

/** Restores tfjs' own conv gradients and WASM kernels, and frees cached kernels. */
export function useStockGradients(): void {
  unpatchWasmKernels();
  for (const config of stock.values()) tf.registerGradient(config);
  transposedKernelCache.clear();
}

/** Frees the transformed kernels cached for the fast input gradient. */
export function clearGradientCache(): void {
  transposedKernelCache.clear();
}
