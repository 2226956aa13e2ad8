/**
 * The fused step (image side and network in one ONNX graph) against the same step computed
 * by TF.js' tape on the WASM backend (an independent computation): the gradient with respect
 * to the Fourier spectrum and the scores agree for Lucid's standard transforms, on the
 * embedded gray model and on a width/16 VGG16 with caffe preprocessing, for the plain and the
 * redirected rule.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relativeError } from '../../../test/helpers/random.js';
import { buildVgg } from '../../core/models/architectures/vgg.js';
import { preprocessAffine } from '../../core/models/input-spec.js';
import { VisModel } from '../../core/models/vis-model.js';
import { channel, classLogit, type Objective } from '../../core/objectives/objective.js';
import { EngineStep } from '../../core/optimize/engine-step.js';
import { itemScores } from '../../core/optimize/maximize.js';
import { redirectedRelu } from '../../core/optimize/redirected-relu.js';
import { createRng } from '../../core/optimize/rng.js';
import { fourierImage } from '../../core/parameterizations/fourier.js';
import { resize } from '../../core/transforms/affine-sample.js';
import { compose, fromSpec, standardTransforms } from '../../core/transforms/transforms.js';
import { viewMaps } from '../../core/transforms/view-maps.js';
import { initBackend } from '../backend.js';
import { openModel } from '../open-model.js';
import { OnnxEngine } from './onnx-engine.js';

beforeAll(async () => {
  await initBackend('wasm');
});

async function compareStep(model: VisModel, objectives: Objective[], redirect: boolean) {
  const { height, width, channels } = model.input;
  const size: [number, number] = [height, width];
  const specs = standardTransforms(height);
  const transform = compose(...specs.map(fromSpec));
  const layers = [...new Set(objectives.flatMap((o) => o.layers))];
  const image = fourierImage(
    { batch: objectives.length, height, width, channels },
    { seed: 3, sd: 0.3 },
  );
  const engine = await OnnxEngine.create(model, { threads: 1 });
  try {
    const step = new EngineStep(engine, model, objectives, layers, itemScores);
    for (const seed of [1, 2]) {
      const flags = objectives.map((_, i) => i % 2 === 0);
      const rule = redirect
        ? { rule: 'redirected' as const, redirect: flags }
        : { rule: 'gradient' as const };
      const maps = viewMaps(specs, size, size, createRng(seed));
      const fused = (await step.fusedGradients(
        engine,
        image,
        maps,
        preprocessAffine(model.input),
        rule,
      ))!;
      // The same step on TF.js' tape.
      const rng = createRng(seed);
      let scores: number[] = [];
      const { value, grads } = tf.variableGrads(() => {
        const seen = resize(transform(image.image(), rng), size);
        const s = itemScores(
          objectives,
          model.activations(seen, layers, redirect ? { relu: redirectedRelu(flags) } : {}),
        );
        scores = Array.from(s.dataSync());
        return tf.sum(s) as tf.Scalar;
      }, image.variables);
      value.dispose();
      expect(relativeError(fused.scores, scores)).toBeLessThan(1e-4);
      for (const v of image.variables) {
        expect(
          relativeError(fused.grads[v.name].dataSync(), grads[v.name].dataSync()),
          v.name,
        ).toBeLessThan(1e-4);
      }
      // Not a zero gradient that trivially agrees.
      expect(Math.max(...grads[image.variables[0].name].abs().dataSync())).toBeGreaterThan(0);
      Object.values(grads).forEach((g) => g.dispose());
      Object.values(fused.grads).forEach((g) => g.dispose());
    }
  } finally {
    engine.dispose();
    image.dispose();
  }
}

describe('the fused step equals the TF.js tape', () => {
  let embedded: VisModel;
  beforeAll(async () => {
    embedded = await openModel({ quiet: true });
  });
  afterAll(() => embedded?.dispose());

  it('embedded gray model, channels and a class logit, plain rule', async () => {
    await compareStep(
      embedded,
      [channel('block2_conv2', 0), channel('block3_conv2', 1), classLogit(8)],
      false,
    );
  });

  it('embedded gray model, redirected ReLUs', async () => {
    await compareStep(embedded, [channel('block2_conv2', 3), channel('block1_conv1', 1)], true);
  });

  it('width/16 VGG16 at 48 px, caffe preprocessing, decorrelated colour', async () => {
    const vgg = new VisModel(
      buildVgg('vgg16', { includeTop: false, size: 48, widthDivisor: 16, seed: 2 }),
      { input: { range: [0, 255], preprocess: 'caffe' } },
    );
    try {
      await compareStep(vgg, [channel('block3_conv1', 2), channel('block4_conv2', 5)], false);
    } finally {
      vgg.dispose();
    }
  });
});
