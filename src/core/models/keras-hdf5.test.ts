/**
 * Keras HDF5 import on files written in the Keras layout by the test (h5wasm): every weight
 * lands in the right layer, old and new weight names, chunked layer lists, with-top files in
 * notop models, and by-name errors for a missing layer and a wrong shape.
 */
import * as tf from '@tensorflow/tfjs';
import * as h5 from 'h5wasm/node';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeKerasH5 } from '../../../test/helpers/keras-h5.js';
import { initBackend } from '../../node/backend.js';
import { buildVgg, type VggOptions } from './architectures/vgg.js';
import { applyKerasWeights, listKerasLayers } from './keras-hdf5.js';

const TINY: VggOptions = { size: 32, classes: 10, widthDivisor: 16 };
let dir: string;

beforeAll(async () => {
  await initBackend('wasm');
  await h5.ready;
  dir = await mkdtemp(path.join(tmpdir(), 'convscope-h5-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes `source` to an h5 file and loads it into `target`; returns the filled layers. */
async function roundTrip(
  source: tf.LayersModel,
  target: tf.LayersModel,
  name: string,
  options: Parameters<typeof writeKerasH5>[2] = {},
): Promise<string[]> {
  const file = path.join(dir, name);
  await writeKerasH5(source, file, options);
  const opened = new h5.File(file, 'r');
  try {
    return applyKerasWeights(target, opened, { source: name });
  } finally {
    opened.close();
  }
}

function expectSameWeights(a: tf.LayersModel, b: tf.LayersModel, layers: string[]): void {
  for (const name of layers) {
    const wa = a.getLayer(name).getWeights();
    const wb = b.getLayer(name).getWeights();
    expect(wb.length).toBe(wa.length);
    wa.forEach((w, i) => {
      expect(wb[i].shape).toEqual(w.shape);
      // A plain loop: deep equality on millions of floats is very slow in the matcher.
      const [x, y] = [w.dataSync(), wb[i].dataSync()];
      let same = x.length === y.length;
      for (let j = 0; same && j < x.length; j++) same = x[j] === y[j];
      expect(same, `${name} weight ${i}`).toBe(true);
    });
  }
}

describe('applyKerasWeights', () => {
  it('loads every conv and dense layer of a with-top VGG16 by name (new weight names)', async () => {
    const source = buildVgg('vgg16', { ...TINY, seed: 1 });
    const target = buildVgg('vgg16', { ...TINY, seed: 99 });
    const filled = await roundTrip(source, target, 'top.h5');
    expect(filled).toEqual([
      ...['block1_conv1', 'block1_conv2', 'block2_conv1', 'block2_conv2'],
      ...['block3_conv1', 'block3_conv2', 'block3_conv3', 'block4_conv1', 'block4_conv2'],
      ...['block4_conv3', 'block5_conv1', 'block5_conv2', 'block5_conv3', 'fc1', 'fc2'],
      'predictions',
    ]);
    expectSameWeights(source, target, filled);
    // Before loading the two differ (different seeds), so equality above is the load's doing.
    const fresh = buildVgg('vgg16', { ...TINY, seed: 99 });
    expect(fresh.getLayer('fc1').getWeights()[0].dataSync()).not.toEqual(
      source.getLayer('fc1').getWeights()[0].dataSync(),
    );
  });

  it('loads a full-size VGG16 notop file (Keras shapes, old names as in the published file)', async () => {
    const source = buildVgg('vgg16', { includeTop: false, seed: 20 });
    const target = buildVgg('vgg16', { includeTop: false, seed: 21 });
    const started = Date.now();
    const filled = await roundTrip(source, target, 'full-notop.h5', { legacyNames: true });
    expect(filled).toHaveLength(13);
    expect(target.getLayer('block1_conv1').getWeights()[0].shape).toEqual([3, 3, 3, 64]);
    expect(target.getLayer('block5_conv3').getWeights()[0].shape).toEqual([3, 3, 512, 512]);
    expectSameWeights(source, target, ['block1_conv1', 'block5_conv3']);
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it('reads the file layout Keras writes: names, weight_names, nested datasets', async () => {
    const source = buildVgg('vgg16', { ...TINY, includeTop: false, seed: 2 });
    const file = path.join(dir, 'layout.h5');
    await writeKerasH5(source, file);
    const opened = new h5.File(file, 'r');
    const layers = listKerasLayers(opened);
    expect(layers.get('input_1')).toEqual([]);
    expect(layers.get('block1_pool')).toEqual([]);
    expect(layers.get('block1_conv1')).toEqual(['block1_conv1/kernel:0', 'block1_conv1/bias:0']);
    const kernel = opened.get('block1_conv1/block1_conv1/kernel:0') as h5.Dataset;
    expect(kernel.shape).toEqual([3, 3, 3, 4]);
    opened.close();
  });

  it('takes weights in weight_names order whatever they are called (old _W_1:0 names)', async () => {
    const source = buildVgg('vgg19', { ...TINY, includeTop: false, seed: 3 });
    const target = buildVgg('vgg19', { ...TINY, includeTop: false, seed: 4 });
    const filled = await roundTrip(source, target, 'legacy.h5', { legacyNames: true });
    expect(filled).toHaveLength(16);
    expectSameWeights(source, target, filled);
  });

  it('reads layer_names split into chunks (layer_names0, layer_names1)', async () => {
    const source = buildVgg('vgg16', { ...TINY, includeTop: false, seed: 5 });
    const target = buildVgg('vgg16', { ...TINY, includeTop: false, seed: 6 });
    const filled = await roundTrip(source, target, 'chunked.h5', { chunkLayerNames: true });
    expect(filled).toHaveLength(13);
    expectSameWeights(source, target, filled);
  });

  it('fills a notop model from a with-top file (extra layers are ignored)', async () => {
    const source = buildVgg('vgg16', { ...TINY, seed: 7 });
    const target = buildVgg('vgg16', { ...TINY, includeTop: false, seed: 8 });
    const filled = await roundTrip(source, target, 'top-into-notop.h5');
    expect(filled).toHaveLength(13);
    expectSameWeights(source, target, filled);
  });

  it('names the missing layer when a notop file meets a with-top model', async () => {
    const source = buildVgg('vgg16', { ...TINY, includeTop: false, seed: 9 });
    const target = buildVgg('vgg16', { ...TINY, seed: 9 });
    await expect(roundTrip(source, target, 'notop-into-top.h5')).rejects.toThrow(
      /notop-into-top\.h5 has no weights for layer 'fc1' of vgg16; it holds: block1_conv1, .*block5_conv3/,
    );
  });

  it('names the missing layer when vgg16 weights meet vgg19', async () => {
    const source = buildVgg('vgg16', { ...TINY, includeTop: false, seed: 10 });
    const target = buildVgg('vgg19', { ...TINY, includeTop: false, seed: 10 });
    await expect(roundTrip(source, target, 'v16-into-v19.h5')).rejects.toThrow(
      /has no weights for layer 'block3_conv4'/,
    );
  });

  it('names the layer, the weight and both shapes on a shape mismatch', async () => {
    const source = buildVgg('vgg16', { ...TINY, includeTop: false, widthDivisor: 8, seed: 11 });
    const target = buildVgg('vgg16', { ...TINY, includeTop: false, seed: 11 });
    await expect(roundTrip(source, target, 'wide.h5')).rejects.toThrow(
      "wide.h5: layer 'block1_conv1' weight 'block1_conv1/kernel:0' has shape [3, 3, 3, 8] but the model expects [3, 3, 3, 4]",
    );
  });

  it('rejects an HDF5 file that is not Keras weights', async () => {
    const file = path.join(dir, 'other.h5');
    const out = new h5.File(file, 'w');
    out.create_dataset({ name: 'x', data: new Float32Array([1, 2]), shape: [2] });
    out.close();
    const opened = new h5.File(file, 'r');
    expect(() =>
      applyKerasWeights(buildVgg('vgg16', TINY), opened, { source: 'other.h5' }),
    ).toThrow(/other\.h5 is an HDF5 file but not Keras weights \(no 'layer_names' attribute\)/);
    opened.close();
  });

  it('does not leak tensors', async () => {
    const source = buildVgg('vgg16', { ...TINY, includeTop: false, seed: 12 });
    const target = buildVgg('vgg16', { ...TINY, includeTop: false, seed: 13 });
    await writeKerasH5(source, path.join(dir, 'leak.h5'));
    const before = tf.memory().numTensors;
    const opened = new h5.File(path.join(dir, 'leak.h5'), 'r');
    applyKerasWeights(target, opened);
    opened.close();
    expect(tf.memory().numTensors).toBe(before);
  });
});
