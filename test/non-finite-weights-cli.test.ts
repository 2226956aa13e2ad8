/**
 * Weights that are NaN or Infinity are refused when the model loads, naming the weight: a
 * TF.js model whose shard is all NaN (`predict` used to print "0 NaN%" with exit 0), one whose
 * only bad value is a single NaN in a deeper kernel (it used to pick a confident wrong class),
 * through the compiled CLI (`predict` and `weights`: exit 1, one line); and a Keras .h5 file
 * with an infinite kernel value, loaded in process.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildVgg } from '../src/core/models/architectures/vgg.js';
import { loadKerasWeightsFile } from '../src/node/keras-hdf5-file.js';
import { cli } from './helpers/cli.js';
import { saveModel, sequentialModel } from './helpers/fixture-models.js';
import { writeKerasH5 } from './helpers/keras-h5.js';

const SHARD = 'group1-shard1of1.bin';
let dir: string;
let image: string;
let clean: string;

interface Spec {
  name: string;
  shape: number[];
}

/** A copy of the clean model whose shard is changed by `edit` (float32 view, weight specs). */
async function corrupted(name: string, edit: (values: Float32Array, specs: Spec[]) => void) {
  const target = await saveModel(sequentialModel(), path.join(dir, name));
  const bytes = await readFile(path.join(target, SHARD));
  const values = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const json = JSON.parse(await readFile(path.join(target, 'model.json'), 'utf8')) as {
    weightsManifest: { weights: Spec[] }[];
  };
  edit(values, json.weightsManifest[0].weights);
  await writeFile(path.join(target, SHARD), bytes);
  return target;
}

/** Offset (in floats) and size of weight `name` in the shard. */
function locate(specs: Spec[], name: string): { offset: number; size: number } {
  let offset = 0;
  for (const spec of specs) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    if (spec.name === name) return { offset, size };
    offset += size;
  }
  throw new Error(`no weight ${name}`);
}

beforeAll(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
  dir = await mkdtemp(path.join(tmpdir(), 'convscope-nan-'));
  clean = await saveModel(sequentialModel(), path.join(dir, 'clean'));
  image = path.join(dir, 'image.png');
  const pixels = Buffer.alloc(12 * 12 * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 37) % 256;
  await sharp(pixels, { raw: { width: 12, height: 12, channels: 3 } })
    .png()
    .toFile(image);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('non-finite weights', () => {
  it('the clean model predicts (the fixture works)', async () => {
    const { code, stdout } = await cli('predict', '--model', clean, '--image', image, '--json');
    expect(code).toBe(0);
    const [result] = JSON.parse(stdout) as { top: { probability: number }[] }[];
    expect(Number.isFinite(result.top[0].probability)).toBe(true);
  });

  it('a shard full of NaN: predict and weights exit 1 naming the first weight', async () => {
    const model = await corrupted('all-nan', (values) => values.fill(NaN));
    const specs = JSON.parse(await readFile(path.join(model, 'model.json'), 'utf8')) as {
      weightsManifest: { weights: Spec[] }[];
    };
    const first = specs.weightsManifest[0].weights[0];
    const { size } = locate(specs.weightsManifest[0].weights, first.name);
    const others = specs.weightsManifest[0].weights.length - 1;
    for (const args of [
      ['predict', '--model', model, '--image', image],
      ['weights', '--model', model, '--layer', 'conv_a', '--out', path.join(dir, 'w.png')],
    ]) {
      const { code, stdout, stderr } = await cli(...args);
      expect(code).toBe(1);
      expect(stdout).toBe('');
      expect(stderr.trim().split('\n')).toEqual([
        `convscope: weight '${first.name}' has ${size} NaN values (of ${size}); the model file ` +
          `${model} is corrupt; ${others} more weights hold NaN or Infinity too ` +
          '(download or convert the model again; for a zoo model run `convscope models fetch NAME --force`)',
      ]);
    }
  });

  it('a single NaN in a deeper kernel is found', async () => {
    const model = await corrupted('one-nan', (values, specs) => {
      const { offset, size } = locate(specs, 'conv_b/kernel');
      values[offset + Math.floor(size / 2)] = NaN;
    });
    const { code, stderr } = await cli('predict', '--model', model, '--image', image);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^convscope: weight 'conv_b\/kernel' has 1 NaN value \(of \d+\); /);
    expect(stderr).not.toMatch(/more weight/);
  });

  it('a Keras .h5 file with an infinite value is refused after loading', async () => {
    const tiny = { size: 32, classes: 10, widthDivisor: 16 };
    const source = buildVgg('vgg16', { ...tiny, seed: 3 });
    const [kernel, bias] = source.getLayer('block2_conv1').getWeights();
    const values = kernel.dataSync().slice();
    values[5] = -Infinity;
    source.getLayer('block2_conv1').setWeights([tf.tensor(values, kernel.shape), bias]);
    const file = path.join(dir, 'inf.h5');
    await writeKerasH5(source, file);
    const target = buildVgg('vgg16', { ...tiny, seed: 4 });
    await expect(loadKerasWeightsFile(target, file)).rejects.toThrow(
      `weight 'block2_conv1/kernel' has 1 infinite value (of ${kernel.size}); the model file ${file} is corrupt`,
    );
  });
});
