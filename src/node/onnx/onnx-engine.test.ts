/**
 * The ONNX engine against the TF.js CPU backend (an independent implementation of every op and
 * gradient): activations of every layer, and input gradients under every backward rule from
 * random seeds at several layers at once, on models that use every layer kind it lowers.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINE_RULES, sizeOf, type ArrayBatch } from '../../core/engines/network-engine.js';
import { TfjsEngine } from '../../core/engines/tfjs-engine.js';
import { LOGITS } from '../../core/models/forward.js';
import { VisModel } from '../../core/models/vis-model.js';
import { activationsModel, layerKindsModel } from '../../../test/helpers/engine-models.js';
import { randomArray, relativeError } from '../../../test/helpers/random.js';
import { OnnxEngine } from './onnx-engine.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const batchOf = (shape: number[], seed: number, scale = 1): ArrayBatch => ({
  data: randomArray(sizeOf(shape), seed, scale),
  shape,
});

function seedFor(model: VisModel, layer: string, batch: number, seed: number): ArrayBatch {
  const shape = layer === LOGITS ? [model.classes] : (model.layer(layer).outputShape as number[]);
  return batchOf([batch, ...shape], seed);
}

const cases = [
  {
    name: 'every layer kind',
    build: layerKindsModel,
    seeds: ['residual', 'bn', LOGITS],
    at: 'separable',
  },
  {
    name: 'every activation',
    build: activationsModel,
    seeds: ['conv_swish', 'relu6_layer', LOGITS],
    at: 'conv_tanh',
  },
];

describe.each(cases)('ONNX engine vs TF.js CPU: $name', ({ build, seeds: seedLayers, at }) => {
  let model: VisModel;
  let onnx: OnnxEngine;
  let reference: TfjsEngine;
  const batch = 2;
  let input: ArrayBatch;

  beforeAll(async () => {
    model = new VisModel(build());
    onnx = await OnnxEngine.create(model, { threads: 1 });
    reference = new TfjsEngine(model);
    const { height, width, channels } = model.input;
    input = batchOf([batch, height, width, channels], 7, 2);
  });
  afterAll(() => {
    onnx?.dispose();
    model?.dispose();
  });

  it('computes every layer and the logits as TF.js does', async () => {
    const layers = [...model.layers.slice(1).map((l) => l.name), LOGITS];
    const [actual, expected] = await Promise.all([
      onnx.activations(input, layers),
      reference.activations(input, layers),
    ]);
    for (const name of layers) {
      expect(actual[name].shape, name).toEqual(expected[name].shape);
      expect(relativeError(actual[name].data, expected[name].data), name).toBeLessThan(1e-4);
    }
  });

  it.each([...ENGINE_RULES])('gives the input gradient of the %s rule', async (rule) => {
    const seeds = Object.fromEntries(
      seedLayers.map((l, i) => [l, seedFor(model, l, batch, 100 + i)]),
    );
    const request = { input, seeds, rule, redirect: [true, false], outputs: [seedLayers[0]] };
    const [actual, expected] = await Promise.all([onnx.vjp(request), reference.vjp(request)]);
    expect(actual.gradient.shape).toEqual(input.shape);
    expect(relativeError(actual.gradient.data, expected.gradient.data)).toBeLessThan(1e-4);
    expect(
      relativeError(actual.outputs[seedLayers[0]].data, expected.outputs[seedLayers[0]].data),
    ).toBeLessThan(1e-4);
    // Not a zero gradient passing trivially.
    expect(Math.max(...expected.gradient.data.map(Math.abs))).toBeGreaterThan(1e-3);
  });

  it('gives the gradient at an intermediate layer (Grad-CAM)', async () => {
    const seeds = { [LOGITS]: seedFor(model, LOGITS, batch, 300) };
    const request = { input, seeds, rule: 'gradient' as const, at };
    const [actual, expected] = await Promise.all([onnx.vjp(request), reference.vjp(request)]);
    expect(actual.gradient.shape).toEqual([batch, ...(model.layer(at).outputShape as number[])]);
    expect(relativeError(actual.gradient.data, expected.gradient.data)).toBeLessThan(1e-4);
  });
});
