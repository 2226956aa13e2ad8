/**
 * Picks the fastest TF.js backend this browser can run, inside the compute worker: WebGPU,
 * then WebGL (skipped when it is a software rasterizer such as SwiftShader, where WASM is
 * faster), then WASM (multi-threaded when the page is cross-origin isolated), then the plain
 * JS CPU backend. A backend named in the URL (`?backend=wasm`) is tried first; `?threads=N`
 * sets the WASM thread count.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { useFastGradients } from '../../../src/core/gradients/register.js';
import { BACKEND_ORDER, type BackendInfo, type BackendName } from '../bridge/protocol.js';

setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
});
tf.env().set('PROD', true);

/** Threads the WASM build can run: it pre-starts 8 pthread workers. */
const MAX_WASM_THREADS = 8;

/**
 * tfjs' WASM backend caps its thread pool at `navigator.hardwareConcurrency / 2` (it assumes
 * two hyper-threads per core), read once when the module starts: 1 thread on a 2-core machine
 * whatever `setThreadsCount` asks. This worker's navigator is its own, so report twice the
 * wanted count here; nothing else in the worker reads it.
 */
function allowWasmThreads(wanted: number): void {
  const reported = Math.max(navigator.hardwareConcurrency || 1, wanted * 2);
  try {
    Object.defineProperty(navigator, 'hardwareConcurrency', {
      value: reported,
      configurable: true,
    });
  } catch {
    // A browser that refuses: the backend keeps its own cap (the badge shows the real count).
  }
}

/** The WebGL renderer's name when it is a software one (SwiftShader, llvmpipe), else null. */
function softwareRenderer(): string | null {
  try {
    const gl = new OffscreenCanvas(1, 1).getContext('webgl2') as WebGL2RenderingContext | null;
    if (!gl) return null;
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(
      info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER),
    );
    return /swiftshader|llvmpipe|software/i.test(renderer) ? renderer : null;
  } catch {
    return null;
  }
}

function skipReason(name: BackendName, explicit: boolean): string | null {
  if (name === 'webgpu' && !('gpu' in navigator)) return 'webgpu: not offered by this browser';
  if (name === 'webgl' && !explicit) {
    const software = softwareRenderer();
    if (software) return `webgl: software rendering (${software}), slower than wasm`;
  }
  return null;
}

/**
 * Activates the best backend (or `wanted` first) and installs convscope's fast gradients.
 * @example const { backend, threads } = await selectBackend();
 */
export async function selectBackend(wanted?: BackendName, threads?: number): Promise<BackendInfo> {
  // Default: half the logical cores (tfjs' own choice). On the 2-core test VM, shared with
  // other jobs, 2 threads ran a 16-filter optimization ~30% slower than 1 (the pool spins while
  // it waits for a core); `?threads=N` asks for more. Before anything touches the engine: the
  // count is read when the backend starts.
  const cores = Math.max(1, navigator.hardwareConcurrency || 1);
  const wantedThreads = Math.min(threads ?? Math.max(1, Math.floor(cores / 2)), MAX_WASM_THREADS);
  setThreadsCount(wantedThreads);
  allowWasmThreads(wantedThreads);
  useFastGradients();
  const order = wanted ? [wanted, ...BACKEND_ORDER.filter((b) => b !== wanted)] : BACKEND_ORDER;
  const notes: string[] = [];
  for (const name of order) {
    const skip = skipReason(name, name === wanted);
    if (skip) {
      notes.push(skip);
      continue;
    }
    try {
      if (await tf.setBackend(name)) {
        await tf.ready();
        const threads = name === 'wasm' ? getThreadsCount() : 1;
        if (name === 'wasm') {
          const multithread = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
          const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
          notes.push(
            `wasm: simd ${simd}, threads support ${multithread}, ${threads} XNNPACK threads (default: half the logical cores; ?threads=N sets it)`,
          );
        }
        return { backend: name, threads, notes };
      }
      notes.push(`${name}: failed to start`);
    } catch (error) {
      notes.push(`${name}: ${(error as Error).message}`);
    }
  }
  throw new Error(`no TF.js backend starts in this browser (${notes.join('; ')})`);
}
