/**
 * Checks the committed embedded model end to end, offline: models/embedded/ reloads through
 * tf.loadLayersModel from the files alone, and classifies the committed 1,000-image
 * Fashion-MNIST sample (decoded from its PNGs) as accurately as the training run recorded.
 * Needs neither the data set package nor a network.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/node/backend.js';

const MODEL_DIR = join(import.meta.dirname, '..', 'models', 'embedded');
const SAMPLE_DIR = join(import.meta.dirname, '..', 'samples', 'fashion-mnist');

interface SampleEntry {
  file: string;
  label: number;
  name: string;
  testIndex: number;
}

async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, 'utf8')) as T;
}

/** Loads a TF.js layers model from a folder: model.json plus the shards it names. */
async function loadModel(dir: string): Promise<tf.LayersModel> {
  const modelJson = await readJson<tf.io.ModelJSON>(join(dir, 'model.json'));
  const artifacts = await tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
    const specs = manifest.flatMap((group) => group.weights);
    const shards = await Promise.all(
      manifest.flatMap((group) => group.paths).map((p) => readFile(join(dir, p))),
    );
    const buffers = shards.map((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    return [specs, tf.io.concatenateArrayBuffers(buffers)];
  });
  return tf.loadLayersModel(tf.io.fromMemory(artifacts));
}

describe('embedded model (models/embedded)', () => {
  let model: tf.LayersModel;
  let samples: SampleEntry[];
  let training: { testAccuracy: number; sampleAccuracy: number; sampleCount: number };

  beforeAll(async () => {
    await initBackend('wasm');
    model = await loadModel(MODEL_DIR);
    samples = await readJson<SampleEntry[]>(join(SAMPLE_DIR, 'index.json'));
    training = await readJson(join(MODEL_DIR, 'training.json'));
  });

  it('has the documented interface', async () => {
    const labels = await readJson<string[]>(join(MODEL_DIR, 'labels.json'));
    expect(labels).toHaveLength(10);
    expect(labels[0]).toBe('T-shirt/top');
    expect(model.inputs[0].shape).toEqual([null, 28, 28, 1]);
    expect(model.outputs[0].shape).toEqual([null, 10]);
    expect(model.getLayer('block1_conv1')).toBeDefined();
    expect(model.getLayer('predictions')).toBeDefined();
    expect(training.testAccuracy).toBeGreaterThanOrEqual(0.9);
  });

  it('classifies the 1,000 sample PNGs as accurately as recorded', async () => {
    expect(samples).toHaveLength(1000);
    const pixels = new Float32Array(samples.length * 28 * 28);
    await Promise.all(
      samples.map(async (s, i) => {
        const { data, info } = await sharp(join(SAMPLE_DIR, s.file))
          .greyscale()
          .raw()
          .toBuffer({ resolveWithObject: true });
        expect([info.width, info.height, info.channels]).toEqual([28, 28, 1]);
        for (let p = 0; p < data.length; p++) pixels[i * 784 + p] = data[p] / 255;
      }),
    );
    const predicted = tf.tidy(() => {
      const x = tf.tensor4d(pixels, [samples.length, 28, 28, 1]);
      return tf.argMax(model.predict(x, { batchSize: 250 }) as tf.Tensor, -1);
    });
    const classes = await predicted.data();
    predicted.dispose();
    const accuracy = samples.filter((s, i) => classes[i] === s.label).length / samples.length;
    expect(accuracy).toBeGreaterThanOrEqual(0.88);
    // Same weights, same pixels: at most a near-tie may flip on another backend.
    expect(Math.abs(accuracy - training.sampleAccuracy)).toBeLessThanOrEqual(0.002);
  });
});
