/**
 * Two fixes to the stock WASM backend's kernel set, installed with the fast gradients:
 *
 * - `Identity` copies its input on WASM (the CPU backend shares it). tfjs clones every tensor it
 *   saves for the backward pass, so each gradient step copied all weights and activations, and
 *   a weight never kept its data id (which the transposed-kernel cache keys on). The shared
 *   version increments the reference count, as the WASM `Reshape` kernel already does.
 * - `Conv2DBackpropFilter` is missing on WASM. tfjs' fused conv (a linear conv layer) computes
 *   all its gradients eagerly, so `tf.grad` through a LayersModel with separate `Activation`
 *   layers failed with "Kernel 'Conv2DBackpropFilter' not registered". We provide it, computed
 *   as a forward convolution.
 * - `UnsortedSegmentSum` is missing on WASM; it is the gradient of `gather`, which the
 *   rotation transform of activation maximization uses. A plain loop over the data suffices
 *   (a few million additions per step at most).
 */
import * as tf from '@tensorflow/tfjs';
import { conv2dFilterGradient } from './conv2d-gradients.js';

interface WasmBackend extends tf.KernelBackend {
  incRef(dataId: tf.DataId): void;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): tf.backend_util.TypedArray;
}

/** What tfjs passes a kernel function. */
interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  attrs?: tf.NamedAttrMap;
  backend: unknown;
}

/** out[s, ...] = sum of x[i, ...] over the i with segmentIds[i] = s (segmentIds 1-D). */
function unsortedSegmentSumKernel({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo {
  const wasm = backend as WasmBackend;
  const x = inputs.x as tf.TensorInfo;
  const ids = inputs.segmentIds as tf.TensorInfo;
  const numSegments = (attrs as { numSegments: number }).numSegments;
  if (ids.shape.length !== 1 || ids.shape[0] !== x.shape[0]) {
    throw new Error('UnsortedSegmentSum on wasm supports 1-D segment ids over the first axis');
  }
  const values = wasm.readSync(x.dataId) as Float32Array;
  const segments = wasm.readSync(ids.dataId) as Int32Array;
  const inner = x.shape.slice(1).reduce((a, b) => a * b, 1);
  const output = wasm.makeOutput([numSegments, ...x.shape.slice(1)], x.dtype);
  const out = wasm.typedArrayFromHeap(output);
  out.fill(0);
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i];
    if (s < 0 || s >= numSegments) continue;
    const [from, to] = [i * inner, s * inner];
    for (let j = 0; j < inner; j++) out[to + j] += values[from + j];
  }
  return output;
}

function sharedIdentity({ inputs, backend }: { inputs: tf.NamedTensorInfoMap; backend: unknown }) {
  const x = inputs.x as tf.TensorInfo;
  (backend as WasmBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

function filterGradientKernel({ inputs, attrs, backend }: KernelArgs): tf.Tensor {
  const x = inputs.x as tf.TensorInfo;
  const dy = inputs.dy as tf.TensorInfo;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as {
    strides: [number, number];
    pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
    dataFormat: 'NHWC' | 'NCHW';
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
    filterShape: [number, number, number, number];
  };
  // Wrapping a TensorInfo in a Tensor does not count a reference in the backend; count one,
  // so disposing the wrapper does not free the caller's data.
  const wrap = (info: tf.TensorInfo) => {
    (backend as WasmBackend).incRef(info.dataId);
    return tf.engine().makeTensorFromTensorInfo(info) as tf.Tensor4D;
  };
  return tf.tidy(() => {
    const xTensor = wrap(x);
    const dyTensor = wrap(dy);
    const geometry = tf.backend_util.computeConv2DInfo(
      xTensor.shape,
      filterShape,
      strides,
      1,
      pad,
      dimRoundingMode,
      false,
      dataFormat === 'NCHW' ? 'channelsFirst' : 'channelsLast',
    );
    const result = conv2dFilterGradient(xTensor, dyTensor, geometry);
    if (result === null) {
      throw new Error('Conv2DBackpropFilter on wasm supports NHWC data only');
    }
    return result;
  });
}

let stockIdentity: tf.KernelConfig | undefined;
let installed = false;

/** Installs the WASM kernel fixes once the WASM backend's kernels are registered. */
export function patchWasmKernels(): void {
  if (installed || tf.getKernelsForBackend('wasm').length === 0) return;
  installed = true;
  stockIdentity ??= tf.getKernel('Identity', 'wasm');
  for (const name of ['Identity', 'Conv2DBackpropFilter']) {
    if (tf.getKernel(name, 'wasm')) tf.unregisterKernel(name, 'wasm');
  }
  // Not a speed-up but a missing kernel: it stays registered when the fast path is switched off.
  if (!tf.getKernel('UnsortedSegmentSum', 'wasm')) {
    tf.registerKernel({
      kernelName: 'UnsortedSegmentSum',
      backendName: 'wasm',
      kernelFunc: unsortedSegmentSumKernel as unknown as tf.KernelFunc,
    });
  }
  tf.registerKernel({
    kernelName: 'Identity',
    backendName: 'wasm',
    kernelFunc: sharedIdentity as tf.KernelFunc,
  });
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: filterGradientKernel as unknown as tf.KernelFunc,
  });
}

/** Restores the stock WASM kernels (for benchmarks against stock tfjs). */
export function unpatchWasmKernels(): void {
  if (!installed) return;
  installed = false;
  for (const name of ['Identity', 'Conv2DBackpropFilter']) {
    if (tf.getKernel(name, 'wasm')) tf.unregisterKernel(name, 'wasm');
  }
  if (stockIdentity) tf.registerKernel(stockIdentity);
}
