/**
 * The CLI end to end: `node bin/convscope.js` (the compiled CLI, as `npx convscope` runs it)
 * on models and images written by the test.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/node/backend.js';
import { loadLayersModel } from '../src/node/load-layers-model.js';
import { cli } from './helpers/cli.js';
import { saveModel, sequentialModel } from './helpers/fixture-models.js';
import { randomArray } from './helpers/random.js';

let dir: string;
let modelDir: string;
const LABELS = ['ant', 'bee', 'cat', 'dog', 'eel'];

beforeAll(async () => {
  await initBackend('wasm');
  dir = await mkdtemp(path.join(tmpdir(), 'convscope-cli-'));
  modelDir = await saveModel(sequentialModel(), path.join(dir, 'model'), LABELS);
  await mkdir(path.join(dir, 'images'));
  for (let i = 0; i < 4; i++) {
    const pixels = Buffer.from(
      randomArray(12 * 12 * 3, 40 + i).map((v) => Math.round((v + 1) * 127.5)),
    );
    await sharp(pixels, { raw: { width: 12, height: 12, channels: 3 } })
      .png()
      .toFile(path.join(dir, 'images', `img${i}.png`));
  }
  await writeFile(path.join(dir, 'images', 'broken.png'), 'this is not a png');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('convscope CLI', () => {
  it('layers --image --out draws the receptive field box of the center unit', async () => {
    const out = path.join(dir, 'fields.png');
    const image = path.join(dir, 'images', 'img0.png');
    const { code } = await cli(
      'layers',
      '--model',
      modelDir,
      '--layer',
      'conv_b',
      '--image',
      image,
      '--out',
      out,
    );
    expect(code).toBe(0);
    const { data, info } = await sharp(out).raw().toBuffer({ resolveWithObject: true });
    // 12 px input drawn at 28x; conv_b's center unit (4, 4) sees input pixels [3, 8) on both axes.
    expect(info.width).toBe(12 * 28);
    const c = info.channels;
    const at = (x: number, y: number) =>
      Array.from(data.subarray((y * info.width + x) * c, (y * info.width + x) * c + 3));
    expect(at(3 * 28 + 1, 5 * 28)).toEqual([230, 25, 75]);
    expect(at(8 * 28 - 2, 5 * 28)).toEqual([230, 25, 75]);
    expect(at(5 * 28, 3 * 28 + 1)).toEqual([230, 25, 75]);
    expect(at(2 * 28, 5 * 28)).not.toEqual([230, 25, 75]);
  });

  it('prints help', async () => {
    const { code, stdout } = await cli('--help');
    expect(code).toBe(0);
    expect(stdout).toMatch(/layers/);
    expect(stdout).toMatch(/predict/);
  });

  it('layers --json reports shapes and receptive fields', async () => {
    const { code, stdout } = await cli('layers', '--model', modelDir, '--json');
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.inputShape).toEqual([12, 12, 3]);
    const byName = Object.fromEntries(result.layers.map((l: { name: string }) => [l.name, l]));
    expect(byName.conv_a).toMatchObject({
      kind: 'Conv2D',
      outputShape: [12, 12, 4],
      channels: 4,
      receptiveField: { size: 3, jump: 1, start: 0 },
    });
    expect(byName.conv_b.receptiveField).toEqual({ size: 5, jump: 1, start: 1 });
    expect(byName.pool.receptiveField).toEqual({ size: 6, jump: 2, start: 1.5 });
    expect(byName.predictions.receptiveField).toBeNull();
  });

  it('layers prints a table for people', async () => {
    const { code, stdout } = await cli('layers', '--model', modelDir);
    expect(code).toBe(0);
    expect(stdout).toMatch(/conv_b\s+Conv2D\s+10x10x6\s+6\s+5\s+1\s+1/);
    expect(stdout).toMatch(/flatten\s+Flatten.*whole input/);
  });

  it('predict --json gives the top class a direct tf.loadLayersModel + predict gives', async () => {
    const files = [0, 1, 2, 3].map((i) => path.join(dir, 'images', `img${i}.png`));
    const { code, stdout } = await cli(
      'predict',
      '--model',
      modelDir,
      '--json',
      '--top',
      '3',
      '--image',
      ...files,
    );
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as {
      image: string;
      top: { index: number; label: string; probability: number }[];
    }[];
    const model = await loadLayersModel(modelDir);
    for (const [i, file] of files.entries()) {
      const raw = await sharp(file).raw().toBuffer();
      const x = tf.tensor4d(
        Float32Array.from(raw, (v) => v / 255),
        [1, 12, 12, 3],
      );
      const probabilities = (model.predict(x) as tf.Tensor).dataSync();
      const best = probabilities.indexOf(Math.max(...probabilities));
      expect(result[i].image).toBe(file);
      expect(result[i].top).toHaveLength(3);
      expect(result[i].top[0].index).toBe(best);
      expect(result[i].top[0].label).toBe(LABELS[best]);
      expect(result[i].top[0].probability).toBeCloseTo(probabilities[best], 5);
    }
  });

  it('predict on a directory classifies the good images and fails clearly on the broken one', async () => {
    const { code, stdout, stderr } = await cli(
      'predict',
      '--model',
      modelDir,
      '--json',
      '--image',
      path.join(dir, 'images'),
    );
    expect(code).toBe(1);
    const result = JSON.parse(stdout) as { image: string; top?: unknown[]; error?: string }[];
    expect(result.filter((r) => r.top)).toHaveLength(4);
    expect(result.find((r) => r.image.endsWith('broken.png'))?.error).toMatch(
      /cannot decode image/,
    );
    expect(stderr).toMatch(/convscope: cannot decode image .*broken.png/);
  });

  it('fails with one line and no stack trace for bad input', async () => {
    const cases: [string[], RegExp][] = [
      [['layers', '--model', path.join(dir, 'absent')], /model not found/],
      [
        ['layers', '--model', modelDir, '--layer', 'conv_q'],
        /unknown layer 'conv_q'; layers are: .*conv_a/,
      ],
      [
        ['predict', '--model', modelDir, '--image', path.join(dir, 'images', 'broken.png')],
        /cannot decode image/,
      ],
      [
        ['predict', '--model', modelDir, '--image', path.join(dir, 'nothing.png')],
        /image not found/,
      ],
      [['layers', '--model', modelDir, '--backend', 'gpu'], /unknown backend 'gpu'/],
    ];
    for (const [args, pattern] of cases) {
      const { code, stderr } = await cli(...args);
      expect(code, args.join(' ')).toBe(1);
      expect(stderr).toMatch(pattern);
      expect(stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('shows the stack trace with --verbose', async () => {
    const { code, stderr } = await cli('layers', '--model', path.join(dir, 'absent'), '--verbose');
    expect(code).toBe(1);
    expect(stderr).toMatch(/\n\s+at /);
  });
});
