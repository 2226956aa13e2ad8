/**
 * Keras models with their architecture (test/fixtures/keras/, written by
 * scripts/make-keras-fixtures.ts in the layouts Keras 2 `.h5` and Keras 3 `.keras` use): each
 * loads through `openModel` without `--arch`, and the activations of every layer, run through
 * convscope's layer graph, equal a reference built independently: the same architecture made
 * with tf.layers in this test, its weights read from the file at the paths Keras writes them
 * (`model_weights/<layer>/<layer>/kernel:0`; `layers/conv2d_1/vars/0`) and set by hand, and the
 * first conv and batch norm recomputed by brute-force loops. Layer names differ from the
 * Keras 3 weight paths on purpose, so a by-name mapping could not pass.
 */
import * as tf from '@tensorflow/tfjs';
import { unzipSync } from 'fflate';
import * as h5 from 'h5wasm/node';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/node/backend.js';
import { openModel } from '../src/node/open-model.js';
import { randomArray, relativeError } from './helpers/random.js';

const FIXTURES = path.resolve('test/fixtures/keras');
let dir: string;

beforeAll(async () => {
  await initBackend('cpu');
  await h5.ready;
  dir = await mkdtemp(path.join(tmpdir(), 'convscope-keras-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

type Architecture = 'sequential' | 'residual';
const CONV = ['kernel', 'bias'];
const BN = ['gamma', 'beta', 'moving_mean', 'moving_variance'];
/** Layer name -> [Keras 3 weight group, Keras 2 weight names] for each architecture. */
const WEIGHTS: Record<Architecture, Record<string, [string, string[]]>> = {
  sequential: {
    block1_conv: ['conv2d', CONV],
    block1_bn: ['batch_normalization', BN],
    block2_conv: ['conv2d_1', CONV],
    predictions: ['dense', CONV],
  },
  residual: {
    stem_conv: ['conv2d', CONV],
    stem_bn: ['batch_normalization', BN],
    res_conv_a: ['conv2d_1', CONV],
    res_conv_b: ['conv2d_2', CONV],
    res_bn: ['batch_normalization_1', BN],
    logits: ['dense', CONV],
  },
};

/** The fixture architectures, built with tf.layers (Keras' defaults: BN epsilon 1e-3). */
function reference(architecture: Architecture): tf.LayersModel {
  const conv = (name: string, filters: number, activation: 'relu' | 'linear' = 'relu') =>
    tf.layers.conv2d({ name, filters, kernelSize: 3, padding: 'same', activation });
  const bn = (name: string) => tf.layers.batchNormalization({ name, epsilon: 1e-3 });
  if (architecture === 'sequential') {
    const model = tf.sequential();
    model.add(tf.layers.inputLayer({ inputShape: [16, 16, 3] }));
    for (const layer of [
      conv('block1_conv', 8),
      bn('block1_bn'),
      tf.layers.maxPooling2d({ name: 'block1_pool', poolSize: 2 }),
      conv('block2_conv', 16),
      tf.layers.globalAveragePooling2d({ name: 'gap' }),
      tf.layers.dense({ name: 'predictions', units: 4, activation: 'softmax' }),
    ]) {
      model.add(layer);
    }
    return model;
  }
  const image = tf.input({ shape: [16, 16, 3], name: 'image' });
  const stem = bn('stem_bn').apply(conv('stem_conv', 8).apply(image)) as tf.SymbolicTensor;
  const branch = conv('res_conv_a', 8).apply(stem) as tf.SymbolicTensor;
  const res = bn('res_bn').apply(conv('res_conv_b', 8, 'linear').apply(branch));
  const sum = tf.layers.add({ name: 'res_add' }).apply([stem, res as tf.SymbolicTensor]);
  const relu = tf.layers.activation({ name: 'res_relu', activation: 'relu' }).apply(sum);
  const pooled = tf.layers.maxPooling2d({ name: 'pool', poolSize: 2 }).apply(relu);
  const gap = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(pooled);
  const logits = tf.layers.dense({ name: 'logits', units: 4, activation: 'softmax' }).apply(gap);
  return tf.model({ inputs: image, outputs: logits as tf.SymbolicTensor });
}

/** Opens the weights of a fixture file as HDF5 (a `.keras` archive's via a temporary file). */
async function openWeights(file: string): Promise<h5.File> {
  if (!file.endsWith('.keras')) return new h5.File(file, 'r');
  const entries = unzipSync(
    new Uint8Array(await import('node:fs').then((fs) => fs.readFileSync(file))),
  );
  const weights = path.join(dir, `${path.basename(file)}.weights.h5`);
  await writeFile(weights, entries['model.weights.h5']);
  return new h5.File(weights, 'r');
}

/** Arrays of one layer, read at the paths Keras writes (not through convscope's mapping). */
function layerArrays(file: h5.File, keras3: boolean, layer: string, entry: [string, string[]]) {
  const [group, names] = entry;
  return names.map((name, i) => {
    const at = keras3 ? `layers/${group}/vars/${i}` : `model_weights/${layer}/${layer}/${name}:0`;
    const dataset = file.get(at) as h5.Dataset;
    return { values: dataset.value as Float32Array, shape: dataset.shape as number[] };
  });
}

const CASES: [string, Architecture][] = [
  ['sequential-keras2.h5', 'sequential'],
  ['residual-keras2.h5', 'residual'],
  ['sequential.keras', 'sequential'],
  ['residual.keras', 'residual'],
];

describe.each(CASES)('%s', (fixture, architecture) => {
  const file = path.join(FIXTURES, fixture);
  const keras3 = fixture.endsWith('.keras');

  it('loads without --arch; every layer equals the tf.layers reference', async () => {
    const vis = await openModel({ model: file });
    const ref = reference(architecture);
    const weights = await openWeights(file);
    const arrays = new Map<string, ReturnType<typeof layerArrays>>();
    try {
      for (const [layer, entry] of Object.entries(WEIGHTS[architecture])) {
        arrays.set(layer, layerArrays(weights, keras3, layer, entry));
        ref.getLayer(layer).setWeights(arrays.get(layer)!.map((a) => tf.tensor(a.values, a.shape)));
      }
    } finally {
      weights.close();
    }
    expect(vis.labels).toEqual(['circle', 'square', 'stripes', 'dots']);
    const names = ref.layers.filter((l) => l.getClassName() !== 'InputLayer').map((l) => l.name);
    expect(vis.layers.map((l) => l.name)).toEqual(expect.arrayContaining(names));
    const images = tf.tensor4d(
      randomArray(2 * 16 * 16 * 3, 7).map((v) => (v + 1) / 2),
      [2, 16, 16, 3],
    );
    const got = vis.activations(images, names);
    const outputs = tf.model({
      inputs: ref.inputs,
      outputs: names.map((n) => ref.getLayer(n).output as tf.SymbolicTensor),
    });
    const want = outputs.predict(images) as tf.Tensor[];
    names.forEach((name, i) => {
      expect(got[name].shape, name).toEqual(want[i].shape);
      expect(relativeError(got[name].dataSync(), want[i].dataSync()), name).toBeLessThan(1e-5);
    });

    // Brute force: the first conv (3x3, same, ReLU) and the batch norm after it, by loops.
    const [conv, bn] = Object.keys(WEIGHTS[architecture]);
    const [kernel, bias] = arrays.get(conv)!.map((a) => a.values);
    const [gamma, beta, mean, variance] = arrays.get(bn)!.map((a) => a.values);
    const x = images.dataSync();
    const convOut = got[conv].dataSync();
    const bnOut = got[bn].dataSync();
    let worst = 0;
    for (let b = 0; b < 2; b++) {
      for (let y = 0; y < 16; y++) {
        for (let xx = 0; xx < 16; xx++) {
          for (let f = 0; f < 8; f++) {
            let sum = bias[f];
            for (let dy = 0; dy < 3; dy++) {
              for (let dx = 0; dx < 3; dx++) {
                const [iy, ix] = [y + dy - 1, xx + dx - 1];
                if (iy < 0 || iy >= 16 || ix < 0 || ix >= 16) continue;
                for (let c = 0; c < 3; c++) {
                  sum +=
                    x[((b * 16 + iy) * 16 + ix) * 3 + c] * kernel[((dy * 3 + dx) * 3 + c) * 8 + f];
                }
              }
            }
            const relu = Math.max(0, sum);
            const normed = (gamma[f] * (relu - mean[f])) / Math.sqrt(variance[f] + 1e-3) + beta[f];
            const at = ((b * 16 + y) * 16 + xx) * 8 + f;
            worst = Math.max(worst, Math.abs(convOut[at] - relu), Math.abs(bnOut[at] - normed));
          }
        }
      }
    }
    expect(worst).toBeLessThan(1e-4);
    tf.dispose([images, ...Object.values(got), ...want]);
    vis.model.dispose();
    ref.dispose();
  });

  it('takes --input-range and --preprocess as a model.json folder does', async () => {
    const vis = await openModel({ model: file, inputRange: '0,255', preprocess: 'tf' });
    expect(vis.input).toMatchObject({ range: [0, 255], preprocess: 'tf', height: 16, channels: 3 });
    expect(vis.name).toBe(file);
    vis.model.dispose();
  });
});
