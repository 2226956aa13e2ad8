/**
 * Installs convscope's convolution gradients in tfjs' global gradient registry, so every model
 * (ours, a user's LayersModel, plain tfjs code) computes conv gradients as fast forward
 * convolutions. Gradients stay lazy: tfjs asks only for the inputs on the path from the
 * differentiated tensor, so an input gradient never computes a weight gradient.
 *
 * Pooling gradients are made the same on every backend (see pool-gradients.ts): max pooling
 * routes a tied window to its first maximum (PyTorch's rule), and average pooling divides by the
 * window's count without padding, as its forward pass does.
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
import { poolGradientConfigs } from './pool-gradients.js';
import { patchWasmKernels, unpatchWasmKernels } from './wasm-kernels.js';
import { patchWebGpuKernels, unpatchWebGpuKernels } from './webgpu-kernels.js';

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

const KERNELS: Array<[string, boolean]> = [
  ['Conv2D', false],
  ['DepthwiseConv2dNative', true],
];

/**
 * Registers the fast conv gradients and the one-tie-rule max-pool gradient (idempotent), and
 * patches the WASM and WebGPU backends' kernel sets when they are loaded (see wasm-kernels.ts,
 * webgpu-kernels.ts).
 */
export function useFastGradients(): void {
  patchWasmKernels();
  patchWebGpuKernels();
  for (const [name, depthwise] of KERNELS) {
    if (!stock.has(name)) stock.set(name, tf.getGradient(name));
    tf.registerGradient(fastConfig(name, depthwise));
  }
  for (const name of ['MaxPool', 'AvgPool']) {
    if (!stock.has(name)) stock.set(name, tf.getGradient(name));
  }
  for (const config of poolGradientConfigs((name) => stock.get(name)!)) {
    tf.registerGradient(config);
  }
}

/** Restores tfjs' own conv gradients and WASM kernels, and frees cached kernels. */
export function useStockGradients(): void {
  unpatchWasmKernels();
  unpatchWebGpuKernels();
  for (const config of stock.values()) tf.registerGradient(config);
  transposedKernelCache.clear();
}

/** Frees the transformed kernels cached for the fast input gradient. */
export function clearGradientCache(): void {
  transposedKernelCache.clear();
}
