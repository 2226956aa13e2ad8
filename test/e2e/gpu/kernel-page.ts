/**
 * The GPU kernel tests' page: runs every case of kernel-cases.ts on a backend and returns the
 * outputs as plain arrays (a case that throws, e.g. a shader that does not compile, returns
 * its error). convscope's gradients are installed as the workbench installs them.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { useFastGradients } from '../../../src/core/kernel-patches/register.js';
import { KERNEL_CASES } from './kernel-cases.js';

setWasmPaths('/wasm/');
// WebGL runs ops on tensors under 128 values on the CPU while their data is there: off, so
// every case runs the GPU's shaders (the workbench's tensors are far larger).
tf.env().set('WEBGL_CPU_FORWARD', false);

export type CaseResult = Record<string, number[]> | { error: string };
/** Each case's outputs and its milliseconds (shader compilation included). */
export interface KernelRun {
  results: Record<string, CaseResult>;
  times: Record<string, number>;
}

async function runKernels(backend: string, only?: string[]): Promise<KernelRun> {
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} does not start`);
  await tf.ready();
  useFastGradients();
  const results: Record<string, CaseResult> = {};
  const times: Record<string, number> = {};
  for (const kernelCase of KERNEL_CASES.filter((c) => !only || only.includes(c.name))) {
    const start = performance.now();
    try {
      const inputs = kernelCase.inputs();
      const outputs = tf.tidy(() => {
        const tensors = Object.fromEntries(
          Object.entries(inputs).map(([k, v]) => [k, tf.tensor(v.data, v.shape)]),
        );
        return kernelCase.run(tensors);
      });
      const arrays: Record<string, number[]> = {};
      for (const [key, tensor] of Object.entries(outputs)) {
        arrays[key] = Array.from(await tensor.data());
        tensor.dispose();
      }
      results[kernelCase.name] = arrays;
      times[kernelCase.name] = Math.round(performance.now() - start);
    } catch (error) {
      results[kernelCase.name] = { error: (error as Error).message.slice(0, 300) };
    }
  }
  return { results, times };
}

Object.assign(window, { convscopeTest: { runKernels } });
