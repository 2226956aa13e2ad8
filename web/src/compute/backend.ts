/**
 * Picks the TF.js backend of the compute worker by measurement: `auto` (no `?backend=`)
 * starts each backend this browser offers (WebGPU, WebGL, WASM, multi-threaded when the page
 * is cross-origin isolated), times one short probe step on each (backend-probe.ts) and keeps
 * the fastest, so a software GPU (SwiftShader, llvmpipe) loses to WASM by its own numbers, not
 * by its name. The plain JS CPU backend is the last resort. A backend named in the URL
 * (`?backend=wasm`) is used without measuring (the others follow if it fails to start);
 * `?threads=N` sets the WASM thread count.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { useFastGradients } from '../../../src/core/kernel-patches/register.js';
import { BACKEND_ORDER, type BackendInfo, type BackendName } from '../bridge/protocol.js';
import { probeStep } from './backend-probe.js';

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

function skipReason(name: BackendName): string | null {
  if (name === 'webgpu' && !('gpu' in navigator)) return 'webgpu: not offered by this browser';
  return null;
}

/** Starts `name`; false (with a note) when it does not start. */
async function start(name: BackendName, notes: string[]): Promise<boolean> {
  const skip = skipReason(name);
  if (skip) {
    notes.push(skip);
    return false;
  }
  try {
    if (await tf.setBackend(name)) {
      await tf.ready();
      return true;
    }
    notes.push(`${name}: failed to start`);
  } catch (error) {
    notes.push(`${name}: ${(error as Error).message}`);
  }
  return false;
}

/** Times the probe on every backend that starts (cpu only when none does); fastest first. */
async function measure(notes: string[]): Promise<{ backend: BackendName; ms: number }[]> {
  const measured: { backend: BackendName; ms: number }[] = [];
  // WASM first: it compiles nothing, and its time lets a slow GPU stop after one run.
  for (const name of ['wasm', 'webgpu', 'webgl'] as const) {
    if (!(await start(name, notes))) continue;
    try {
      const best = Math.min(...measured.map((m) => m.ms));
      measured.push({ backend: name, ms: await probeStep(best) });
    } catch (error) {
      notes.push(`${name}: the probe step failed (${(error as Error).message})`);
    }
  }
  return measured.sort((a, b) => a.ms - b.ms);
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
  const notes: string[] = [];
  let chosen: BackendName | null = null;
  let measured: { backend: BackendName; ms: number }[] | undefined;
  if (wanted) {
    for (const name of [wanted, ...BACKEND_ORDER.filter((b) => b !== wanted)]) {
      if (await start(name, notes)) {
        chosen = name;
        break;
      }
    }
  } else {
    measured = await measure(notes);
    for (const { backend } of measured) {
      if (await start(backend, notes)) {
        chosen = backend;
        break;
      }
    }
    if (!chosen && (await start('cpu', notes))) chosen = 'cpu';
    if (measured.length > 0) {
      const times = measured.map((m) => `${m.backend} ${m.ms.toFixed(1)} ms`).join(', ');
      notes.unshift(`auto: fastest probe step (2 convs, 64x64x32, forward + gradient): ${times}`);
    }
  }
  // The losing GPU backends hold a context each: free them.
  for (const loser of measured ?? []) {
    if (loser.backend !== chosen && loser.backend !== 'wasm') tf.removeBackend(loser.backend);
  }
  if (chosen) {
    const threads = chosen === 'wasm' ? getThreadsCount() : 1;
    if (chosen === 'wasm') {
      const multithread = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
      const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
      notes.push(
        `wasm: simd ${simd}, threads support ${multithread}, ${threads} XNNPACK threads (default: half the logical cores; ?threads=N sets it)`,
      );
    }
    return { backend: chosen, threads, notes, measured };
  }
  throw new Error(`no TF.js backend starts in this browser (${notes.join('; ')})`);
}
