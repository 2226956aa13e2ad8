/**
 * MACO on the embedded model, on both engines: the phase moves but the magnitude of the
 * image's spectrum (before the colour map and sigmoid) stays the fixed one, the objective
 * rises, the fused ONNX step is not taken (it knows only Lucid's Fourier image), and the
 * transparency map comes back as alpha.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { powerSpectrum } from '../src/core/evaluation/image-stats.js';
import type { NetworkEngine } from '../src/core/engines/network-engine.js';
import type { VisModel } from '../src/core/models/vis-model.js';
import { channel } from '../src/core/objectives/objective.js';
import { maximize, type MaximizeResult } from '../src/core/optimize/maximize.js';
import { getPreset } from '../src/core/optimize/presets.js';
import { applyOverrides } from '../src/core/optimize/setting-options.js';
import { halfWidth } from '../src/core/parameterizations/inverse-fft.js';
import { macoImage } from '../src/core/parameterizations/maco.js';
import {
  powerLawSpectrum,
  spectrumFromImages,
} from '../src/core/parameterizations/maco-spectrum.js';
import { initBackend } from '../src/node/backend.js';
import { createEngine } from '../src/node/engine.js';
import { openModel } from '../src/node/open-model.js';

let model: VisModel;
let onnx: NetworkEngine;
beforeAll(async () => {
  await initBackend('wasm');
  model = await openModel({});
  onnx = await createEngine(model, 'onnx', { threads: 1, note: () => undefined });
});
afterAll(() => onnx?.dispose());

/** |DFT| of each plane of spatial [1, h, w, c] over the half spectrum, divided by `fixed`. */
async function magnitudeRatios(spatial: tf.Tensor4D, fixed: Float32Array): Promise<number[]> {
  const [, h, w, c] = spatial.shape;
  const values = (await spatial.data()) as Float32Array;
  const wf = halfWidth(w);
  const ratios: number[] = [];
  for (let k = 0; k < c; k++) {
    const plane = Float64Array.from({ length: h * w }, (_, i) => values[i * c + k]);
    const power = powerSpectrum(plane, h, w);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < wf; x++) {
        const m = fixed[k * h * wf + y * wf + x];
        if (m > 1e-3) ratios.push(Math.sqrt(power[y * w + x]) / m);
      }
    }
  }
  return ratios;
}

describe('MACO', () => {
  it('keeps the magnitude spectrum fixed while the phase is optimized (RGB, 16 px)', async () => {
    const photo = Float32Array.from(
      { length: 16 * 16 * 3 },
      (_, i) => (Math.sin(i * 0.37) + 1) / 2,
    );
    const spectrum = spectrumFromImages([photo], 16, 16, 3, null, 'test');
    const p = macoImage({ batch: 1, height: 16, width: 16, channels: 3 }, { spectrum, seed: 3 });
    const fixed = (await p.magnitude.data()) as Float32Array;
    const before = p.spatial();
    // A few arbitrary phase updates: the magnitude must not follow.
    for (let i = 0; i < 3; i++) {
      p.variables[0].assign(
        tf.add(p.variables[0], tf.randomNormal(p.variables[0].shape, 0, 1, 'float32', i)),
      );
    }
    const after = p.spatial();
    for (const spatial of [before, after]) {
      const ratios = await magnitudeRatios(spatial, fixed);
      expect(ratios.length).toBeGreaterThan(100);
      // The image is standardized after the inverse DFT: one common scale, every bin.
      const scale = ratios[0];
      for (const r of ratios) expect(r / scale).toBeCloseTo(1, 3);
    }
    expect(await tf.sub(before, after).abs().max().data()).not.toEqual(Float32Array.of(0));
    [before, after].forEach((t) => t.dispose());
    p.dispose();
  });

  for (const engineName of ['tfjs', 'onnx'] as const) {
    it(`raises the objective on the embedded model, fixed magnitude, alpha: ${engineName}`, async () => {
      const objectives = [channel('block1_conv2', 1), channel('block2_conv1', 3)];
      const settings = applyOverrides(getPreset('maco').settings, { steps: 24 });
      const engine = engineName === 'onnx' ? onnx : undefined;
      if (engine) {
        // The fused step would ignore the crops and noise: it must not be asked.
        (engine as unknown as { fusedStep: () => never }).fusedStep = () => {
          throw new Error('fused step taken for MACO');
        };
      }
      let result: MaximizeResult | undefined;
      for await (const frame of maximize(model, objectives, settings, { seed: 4, engine })) {
        if (frame.result) result = frame.result;
      }
      for (const [i, objective] of objectives.entries()) {
        expect(result!.bestScores[i], objective.description).toBeGreaterThan(result!.initial[i]);
        expect(result!.transformedScores![i]).toBeGreaterThan(result!.initial[i]);
      }
      expect(result!.alpha!.shape).toEqual([2, 28, 28, 1]);
      const alpha = result!.alpha!.data;
      expect(Math.max(...alpha)).toBe(1);
      expect(Math.min(...alpha)).toBeLessThan(0.5);
      // The embedded model is gray: the default magnitude is 1/f, fixed through the run.
      const p = macoImage(
        { batch: 1, height: 28, width: 28, channels: 1 },
        { spectrum: powerLawSpectrum(1), seed: 1 },
      );
      const fixed = (await p.magnitude.data()) as Float32Array;
      p.dispose();
      // The best image's pre-sigmoid values: logit of the gray image.
      const logit = tf.tidy(() => {
        const x = tf.clipByValue(
          tf.tensor4d(result!.best.data.subarray(0, 28 * 28), [1, 28, 28, 1]),
          1e-6,
          1 - 1e-6,
        );
        return tf.log(tf.div(x, tf.sub(1, x))) as tf.Tensor4D;
      });
      const ratios = await magnitudeRatios(logit, fixed);
      logit.dispose();
      for (const r of ratios) expect(r / ratios[0]).toBeCloseTo(1, 2);
    });
  }
});
