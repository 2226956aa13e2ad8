/**
 * Pooling gradients that agree on every backend and with the forward pass:
 *
 * - MaxPool: a tied window's gradient goes to its first maximum in row-major order (PyTorch's
 *   rule). The CPU kernel and our WASM kernel (wasm-kernels.ts) do that; WebGL and WebGPU route
 *   ties to the last maximum, so there the gradient is built from plain ops
 *   (max-pool-gradient.ts).
 * - AvgPool: tfjs 4.22's AvgPoolGrad divides every window by its full size on every backend,
 *   while the forward pass divides by the taps inside the image; with 'same' padding the border
 *   gradients were up to 2.25x too small for a 3x3 window (30% off a brute-force gradient in the
 *   GPU kernel tests). We scale the output gradient by size / count before the stock kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { maxPoolGradientFirstMax } from './max-pool-gradient.js';
import { wasmKernelsPatched } from './wasm-kernels.js';

interface PoolAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

function poolInfo(x: tf.Tensor4D, pool: PoolAttrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computePool2DInfo(
    x.shape,
    pool.filterSize,
    pool.strides,
    1,
    pool.pad,
    pool.dimRoundingMode,
  );
}

/** Whether the active backend's MaxPoolGrad kernel routes ties to the first maximum. */
function kernelTakesFirstMax(): boolean {
  const backend = tf.getBackend();
  return backend === 'cpu' || (backend === 'wasm' && wasmKernelsPatched());
}

/** size / (taps inside the input) for each output position: [1, outHeight, outWidth, 1]. */
function countCorrection(info: tf.backend_util.Conv2DInfo): tf.Tensor4D | null {
  const { outHeight, outWidth, inHeight, inWidth, filterHeight, filterWidth, padInfo } = info;
  const factors = new Float32Array(outHeight * outWidth);
  let padded = false;
  const inside = (start: number, size: number, limit: number) =>
    Math.min(start + size, limit) - Math.max(start, 0);
  for (let oy = 0; oy < outHeight; oy++) {
    const rows = inside(oy * info.strideHeight - padInfo.top, filterHeight, inHeight);
    for (let ox = 0; ox < outWidth; ox++) {
      const cols = inside(ox * info.strideWidth - padInfo.left, filterWidth, inWidth);
      factors[oy * outWidth + ox] = (filterHeight * filterWidth) / (rows * cols);
      padded ||= rows * cols < filterHeight * filterWidth;
    }
  }
  return padded ? tf.tensor4d(factors, [1, outHeight, outWidth, 1]) : null;
}

/** The MaxPool and AvgPool gradient configs; `stock` gives tfjs' own. */
export function poolGradientConfigs(stock: (kernel: string) => tf.GradConfig): tf.GradConfig[] {
  const maxPool: tf.GradConfig = {
    kernelName: 'MaxPool',
    inputsToSave: ['x'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => ({
      x: () =>
        kernelTakesFirstMax()
          ? stock('MaxPool').gradFunc(dy, saved, attrs).x()
          : maxPoolGradientFirstMax(
              dy as tf.Tensor4D,
              saved[0] as tf.Tensor4D,
              poolInfo(saved[0] as tf.Tensor4D, attrs as unknown as PoolAttrs),
            ),
    }),
  };
  const avgPool: tf.GradConfig = {
    kernelName: 'AvgPool',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => ({
      x: () => {
        const correction = countCorrection(
          poolInfo(saved[0] as tf.Tensor4D, attrs as unknown as PoolAttrs),
        );
        if (!correction) return stock('AvgPool').gradFunc(dy, saved, attrs).x();
        const scaled = tf.mul(dy as tf.Tensor, correction);
        correction.dispose();
        return stock('AvgPool').gradFunc(scaled, saved, attrs).x();
      },
    }),
  };
  return [maxPool, avgPool];
}
