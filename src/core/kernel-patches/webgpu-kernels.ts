/**
 * A fix to the stock WebGPU backend's kernel set, installed with the fast gradients:
 *
 * - `AddN` with more than 7 inputs returns garbage on WebGPU (tfjs 4.22): its shader binds one
 *   storage buffer per input plus the output, WebGPU's default limit is 8 per shader stage, the
 *   pipeline fails validation without an exception, and the output buffer (reused from the
 *   pool) keeps whatever it held. Measured in Chromium 156 (SwiftShader): `addN` of 9 tensors
 *   filled with 1..9 gave 6 (the previous addN's result) instead of 45. It hit the max-pool
 *   gradient (9 taps of a 3x3 window) and any sum of more than 7 objectives. The wrapper adds
 *   the inputs in groups of at most 4, then adds the partial sums.
 */
import * as tf from '@tensorflow/tfjs';

/** Inputs per stock AddN call, well under the 7 that fit WebGPU's storage-buffer limit. */
const GROUP = 4;

interface DisposingBackend {
  disposeData(dataId: tf.DataId): void;
}

let stockAddN: tf.KernelConfig | undefined;

function groupedAddN(stock: tf.KernelFunc): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    let list = Object.values(inputs) as tf.TensorInfo[];
    const ours = new Set<tf.TensorInfo>();
    while (list.length > GROUP) {
      const next: tf.TensorInfo[] = [];
      for (let i = 0; i < list.length; i += GROUP) {
        const group = list.slice(i, i + GROUP);
        if (group.length === 1) {
          next.push(group[0]);
          continue;
        }
        const sum = stock({ inputs: group as unknown as tf.NamedTensorInfoMap, backend, attrs });
        next.push(sum as tf.TensorInfo);
        ours.add(sum as tf.TensorInfo);
      }
      // Partial sums of the previous round are no longer needed once added up.
      for (const info of list) {
        if (ours.has(info) && !next.includes(info)) {
          (backend as DisposingBackend).disposeData(info.dataId);
          ours.delete(info);
        }
      }
      list = next;
    }
    const result = stock({ inputs: list as unknown as tf.NamedTensorInfoMap, backend, attrs });
    for (const info of ours) {
      if (info !== result) (backend as DisposingBackend).disposeData(info.dataId);
    }
    return result;
  };
}

/** Installs the WebGPU fix once the WebGPU backend's kernels are registered (idempotent). */
export function patchWebGpuKernels(): void {
  if (stockAddN) return;
  const kernel = tf.getKernel('AddN', 'webgpu');
  if (!kernel) return;
  stockAddN = kernel;
  tf.unregisterKernel('AddN', 'webgpu');
  tf.registerKernel({ ...kernel, kernelFunc: groupedAddN(kernel.kernelFunc) });
}

/** Restores the stock WebGPU AddN. */
export function unpatchWebGpuKernels(): void {
  if (!stockAddN) return;
  tf.unregisterKernel('AddN', 'webgpu');
  tf.registerKernel(stockAddN);
  stockAddN = undefined;
}
