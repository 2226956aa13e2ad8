/**
 * Every kernel convscope's methods run, on the four TF.js backends of the workbench (cpu, wasm,
 * webgl, webgpu; the GPU ones on Chromium's SwiftShader, a software GPU), against a brute-force
 * reference and against each other: convolution gradients (strides, dilation, depthwise),
 * max pooling with ties and overlapping windows (one tie rule everywhere: the first maximum),
 * average pooling, the bilinear resize and rotation (gathers and their scatter), the DFT
 * matmuls of the Fourier parameterization, the ReLU rules, logits and softmax, and addN.
 * Each backend's per-case times (shader compilation included) go to
 * test-output/e2e/gpu-kernels.json.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relativeError } from '../helpers/random.js';
import { HAVE_BROWSER, SHOTS } from './browser.js';
import { openTestPage, type TestPage } from './gpu/harness.js';
import { KERNEL_CASES } from './gpu/kernel-cases.js';
import type { CaseResult, KernelRun } from './gpu/kernel-page.js';

const BACKENDS = ['cpu', 'wasm', 'webgl', 'webgpu'] as const;
/** max |error| / max |reference|: float32 sums of a few dozen terms stay near 1e-6. */
const TOLERANCE = 1e-5;

describe.skipIf(!HAVE_BROWSER)('kernels on cpu, wasm, webgl and webgpu (Chromium)', () => {
  let test: TestPage;
  const runs = {} as Record<(typeof BACKENDS)[number], KernelRun>;

  beforeAll(async () => {
    test = await openTestPage('test/e2e/gpu/kernel-page.ts');
    for (const backend of BACKENDS) {
      runs[backend] = await test.page.evaluate(
        (name) =>
          (
            window as unknown as {
              convscopeTest: { runKernels(b: string): Promise<KernelRun> };
            }
          ).convscopeTest.runKernels(name),
        backend,
      );
    }
    const times = Object.fromEntries(BACKENDS.map((b) => [b, runs[b].times]));
    await writeFile(path.join(SHOTS, 'gpu-kernels.json'), JSON.stringify(times, null, 1));
  }, 300_000);
  afterAll(async () => {
    await test?.close();
  });

  for (const kernelCase of KERNEL_CASES) {
    it(kernelCase.name, () => {
      const inputs = Object.fromEntries(
        Object.entries(kernelCase.inputs()).map(([k, v]) => [k, v.data]),
      );
      if (kernelCase.ties) expect(kernelCase.ties(inputs)).toBeGreaterThan(0);
      const reference = kernelCase.reference(inputs);
      const cpu = runs.cpu.results[kernelCase.name] as Record<string, number[]>;
      for (const backend of BACKENDS) {
        const result: CaseResult = runs[backend].results[kernelCase.name];
        expect(result, `${backend} threw`).not.toHaveProperty('error');
        const outputs = result as Record<string, number[]>;
        expect(Object.keys(outputs).sort()).toEqual(Object.keys(reference).sort());
        for (const [key, expected] of Object.entries(reference)) {
          const label = `${backend} ${key}`;
          expect(relativeError(outputs[key], expected), `${label} vs brute force`).toBeLessThan(
            TOLERANCE,
          );
          expect(relativeError(outputs[key], cpu[key]), `${label} vs cpu`).toBeLessThan(TOLERANCE);
        }
      }
    });
  }
});
