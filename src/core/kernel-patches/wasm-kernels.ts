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
 * - `MaxPoolGrad`: tfjs 4.22's WASM kernel routes non-uniform output gradients to the wrong
 *   inputs (against the CPU backend and a brute-force loop: max difference 0.34 on an 8x8
 *   map, 1.0 on 128x128x64; it is right only when every output gradient is equal). A JS pass
 *   over the windows, routing each output gradient to the first maximum of its window in
 *   row-major order (the CPU backend's choice), is correct and as fast within a VGG16 step.
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

/** dx: each dy routed to the first maximum (row-major) of its window in x. */
function maxPoolGradKernel({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo {
  const wasm = backend as WasmBackend;
  const x = inputs.input as tf.TensorInfo;
  const dy = inputs.dy as tf.TensorInfo;
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as {
    filterSize: [number, number] | number;
    strides: [number, number] | number;
    pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
  };
  const info = tf.backend_util.computePool2DInfo(
    x.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth } = info;
  const { strideHeight, strideWidth, filterHeight, filterWidth, padInfo } = info;
  const xs = wasm.readSync(x.dataId) as Float32Array;
  const dys = wasm.readSync(dy.dataId) as Float32Array;
  const output = wasm.makeOutput(x.shape, 'float32');
  const dx = wasm.typedArrayFromHeap(output) as Float32Array;
  dx.fill(0);
  const best = new Float32Array(channels);
  const where = new Int32Array(channels);
  for (let b = 0; b < batchSize; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        best.fill(-Infinity);
        where.fill(-1);
        for (let fy = 0; fy < filterHeight; fy++) {
          const iy = oy * strideHeight - padInfo.top + fy;
          if (iy < 0 || iy >= inHeight) continue;
          for (let fx = 0; fx < filterWidth; fx++) {
            const ix = ox * strideWidth - padInfo.left + fx;
            if (ix < 0 || ix >= inWidth) continue;
            const base = ((b * inHeight + iy) * inWidth + ix) * channels;
            for (let c = 0; c < channels; c++) {
              // Strictly greater: ties go to the first position, as on the CPU backend.
              if (xs[base + c] > best[c] || where[c] < 0) {
                best[c] = xs[base + c];
                where[c] = base + c;
              }
            }
          }
        }
        const out = ((b * outHeight + oy) * outWidth + ox) * channels;
        for (let c = 0; c < channels; c++) if (where[c] >= 0) dx[where[c]] += dys[out + c];
      }
    }
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
let stockMaxPoolGrad: tf.KernelConfig | undefined;
let installed = false;

/** Installs the WASM kernel fixes once the WASM backend's kernels are registered. */
export function patchWasmKernels(): void {
  if (installed || tf.getKernelsForBackend('wasm').length === 0) return;
  installed = true;
  stockIdentity ??= tf.getKernel('Identity', 'wasm');
  stockMaxPoolGrad ??= tf.getKernel('MaxPoolGrad', 'wasm');
  for (const name of ['Identity', 'Conv2DBackpropFilter', 'MaxPoolGrad']) {
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
  tf.registerKernel({
    kernelName: 'MaxPoolGrad',
    backendName: 'wasm',
    kernelFunc: maxPoolGradKernel as unknown as tf.KernelFunc,
  });
}

/** Whether the fixes are installed (the MaxPoolGrad kernel then takes the first maximum). */
export function wasmKernelsPatched(): boolean {
  return installed;
}

/** Restores the stock WASM kernels (for benchmarks against stock tfjs). */
export function unpatchWasmKernels(): void {
  if (!installed) return;
  installed = false;
  for (const name of ['Identity', 'Conv2DBackpropFilter', 'MaxPoolGrad']) {
    if (tf.getKernel(name, 'wasm')) tf.unregisterKernel(name, 'wasm');
  }
  if (stockIdentity) tf.registerKernel(stockIdentity);
  if (stockMaxPoolGrad) {
    tf.registerKernel(stockMaxPoolGrad);
    // A kernel registered after its backend started misses its setup (binding the WASM export).
    const backend = tf.findBackend('wasm');
    if (backend) stockMaxPoolGrad.setupFunc?.(backend);
  }
}
