/**
 * ONNX import against PyTorch itself: the fixtures (scripts/make-onnx-fixtures.py) hold small
 * random-weight models in the shapes of torchvision's VGG, ResNet (basic and bottleneck blocks)
 * and MobileNetV2, plus one of the remaining ops, with every module's output and one input
 * gradient as PyTorch computed them. Both engines must match them at every named layer; every
 * layer's receptive field must match a brute-force probe of which input pixels move a unit.
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArrayBatch, NetworkEngine } from '../src/core/engines/network-engine.js';
import { TfjsEngine } from '../src/core/engines/tfjs-engine.js';
import { receptiveBox } from '../src/core/models/receptive-field.js';
import type { VisModel } from '../src/core/models/vis-model.js';
import { initBackend } from '../src/node/backend.js';
import { decodeNpy } from '../src/node/npy.js';
import { OnnxEngine } from '../src/node/onnx/onnx-engine.js';
import { openModel } from '../src/node/open-model.js';
import { relativeError } from './helpers/random.js';

const FIXTURES = path.join(import.meta.dirname, 'fixtures', 'onnx');
const NAMES = ['vgg', 'resnet-basic', 'resnet-bottleneck', 'mobilenetv2', 'ops'];

interface Meta {
  size: number;
  gradLayer: string;
  gradChannel: number;
  calls: string[];
}

/** A PyTorch array (NCHW or [batch, features]) as NHWC data. */
function nhwc(file: string): ArrayBatch {
  const { values, shape } = decodeNpy(readFileSync(file));
  if (shape.length !== 4) return { data: values, shape };
  return tf.tidy(() => {
    const t = tf.tensor(values, shape).transpose([0, 2, 3, 1]);
    return { data: t.dataSync() as Float32Array, shape: t.shape };
  });
}

beforeAll(async () => {
  await initBackend('wasm');
});

describe.each(NAMES)('ONNX fixture %s', (name) => {
  const dir = path.join(FIXTURES, name);
  const meta = JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8')) as Meta;
  let model: VisModel;
  let input: ArrayBatch;
  const engines: Record<string, NetworkEngine> = {};
  beforeAll(async () => {
    model = await openModel({ model: path.join(dir, 'model.onnx'), quiet: true });
    input = nhwc(path.join(dir, 'input.npy'));
    engines.tfjs = new TfjsEngine(model);
    engines.onnx = await OnnxEngine.create(model, { threads: 1 });
  });
  afterAll(() => {
    Object.values(engines).forEach((e) => e.dispose());
    model?.dispose();
  });

  /** Each PyTorch module call with the layer that computes it (a folded batch norm's conv gives the norm's output). */
  function references(): { layer: string; file: string }[] {
    const found: { layer: string; file: string }[] = [];
    meta.calls.forEach((call, i) => {
      let layer: string;
      try {
        layer = model.layer(call).name;
      } catch {
        return; // a batch norm folded into its conv, or a dropout the exporter dropped
      }
      const folded = model.layer(layer).note?.includes('batch norm') && layer === call;
      found.push({
        layer,
        file: path.join(dir, 'act', `${folded ? meta.calls[i + 1] : call}.npy`),
      });
    });
    return found;
  }

  it('names layers by module path and covers every module', () => {
    const refs = references();
    const compared = new Set(refs.map((r) => r.layer));
    const modules = model.layers.filter(
      (l) =>
        ![
          'InputLayer',
          'ZeroPadding2D',
          'ConstantPadding2D',
          'Flatten',
          'Add',
          'Multiply',
          'Concatenate',
        ].includes(l.kind) &&
        !l.name.includes('.sigmoid') &&
        !l.name.includes('.hardsigmoid') &&
        l.name !== 'globalaveragepool',
    );
    expect(modules.length).toBeGreaterThan(5);
    expect(modules.map((l) => l.name).filter((n) => !compared.has(n))).toEqual([]);
  });

  it.each(['tfjs', 'onnx'])(
    'activations at every module equal PyTorch (%s engine)',
    async (engine) => {
      const refs = references();
      const outputs = await engines[engine].activations(input, [
        ...new Set(refs.map((r) => r.layer)),
      ]);
      for (const { layer, file } of refs) {
        const expected = nhwc(file);
        expect(outputs[layer].shape.slice(1), layer).toEqual(expected.shape.slice(1));
        expect(
          relativeError(outputs[layer].data, expected.data),
          `${layer} vs ${path.basename(file)}`,
        ).toBeLessThan(1e-4);
      }
    },
  );

  it.each(['tfjs', 'onnx'])(
    'the input gradient of a channel mean equals PyTorch (%s engine)',
    async (engine) => {
      const layer = model.layer(meta.gradLayer);
      const [h, w, c] = layer.outputShape as number[];
      const seed = new Float32Array(h * w * c);
      for (let p = 0; p < h * w; p++) seed[p * c + meta.gradChannel] = 1 / (h * w);
      const { gradient } = await engines[engine].vjp({
        input,
        seeds: { [layer.name]: { data: seed, shape: [1, h, w, c] } },
        rule: 'gradient',
      });
      const expected = nhwc(path.join(dir, 'grad.npy'));
      expect(Math.max(...expected.data.map(Math.abs))).toBeGreaterThan(0);
      expect(relativeError(gradient.data, expected.data)).toBeLessThan(1e-4);
    },
  );

  it('receptive fields equal a brute-force probe of the center unit', () => {
    const [height, width, channels] = input.shape.slice(1);
    const spatial = model.layers.filter(
      (l) => l.spatial && l.receptiveField && l.kind !== 'InputLayer',
    );
    // Every pixel pushed up and down by a large amount, ReLUs made linear so none hides it.
    const batch = 256;
    const moved = new Map(spatial.map((l) => [l.name, new Set<number>()]));
    const base = tf.tensor4d(input.data, [1, height, width, channels]);
    const linear = { relu: (x: tf.Tensor) => x };
    const reference = tf.tidy(() =>
      model.forwardModelInput(
        base,
        spatial.map((l) => l.name),
        linear,
      ),
    );
    const center = (l: (typeof spatial)[number]) => [
      Math.floor((l.outputShape[0] as number) / 2),
      Math.floor((l.outputShape[1] as number) / 2),
    ];
    const probes = height * width * 2;
    for (let start = 0; start < probes; start += batch) {
      const count = Math.min(batch, probes - start);
      const data = new Float32Array(count * height * width * channels);
      for (let k = 0; k < count; k++) {
        data.set(input.data, k * input.data.length);
        const probe = start + k;
        const pixel = probe >> 1;
        for (let ch = 0; ch < channels; ch++)
          data[k * input.data.length + pixel * channels + ch] += probe & 1 ? 50 : -50;
      }
      tf.tidy(() => {
        const outs = model.forwardModelInput(
          tf.tensor4d(data, [count, height, width, channels]),
          spatial.map((l) => l.name),
          linear,
        );
        for (const l of spatial) {
          const [y, x] = center(l);
          const c = l.channels as number;
          const unit = outs[l.name].slice([0, y, x, 0], [count, 1, 1, c]).reshape([count, c]);
          const ref = reference[l.name].slice([0, y, x, 0], [1, 1, 1, c]).reshape([1, c]);
          const changed = tf.max(tf.abs(tf.sub(unit, ref)), 1).dataSync();
          changed.forEach((d, k) => d > 1e-3 && moved.get(l.name)!.add((start + k) >> 1));
        }
      });
    }
    tf.dispose([base, ...Object.values(reference)]);
    for (const l of spatial) {
      const pixels = [...moved.get(l.name)!];
      const ys = pixels.map((p) => Math.floor(p / width));
      const xs = pixels.map((p) => p % width);
      const probed = [Math.min(...xs), Math.min(...ys), Math.max(...xs) + 1, Math.max(...ys) + 1];
      const [y, x] = center(l);
      expect(probed, l.name).toEqual(receptiveBox(l.receptiveField!, y, x, height, width));
    }
  });
});
