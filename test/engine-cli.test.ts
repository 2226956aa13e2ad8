/**
 * `--engine` on the command line: ONNX Runtime and TF.js give the same filters and patch scans
 * and the manifests say which ran; `auto` takes ONNX Runtime when the model lowers and falls
 * back to TF.js with a note (a layer it cannot lower, onnxruntime-node missing); an explicit
 * `--engine onnx` refuses both with one line and exit 1; bad values are refused.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.js';
import { saveModel } from './helpers/fixture-models.js';
import { relativeError } from './helpers/random.js';

let tmp: string;
let transposed: string;

/** A model with a layer the ONNX engine does not lower (Conv2DTranspose). */
function transposedConvModel(): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [8, 8, 1],
        filters: 4,
        kernelSize: 3,
        activation: 'relu',
        name: 'conv',
      }),
      tf.layers.conv2dTranspose({ filters: 3, kernelSize: 3, name: 'up', activation: 'relu' }),
    ],
  });
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'convscope-engine-'));
  transposed = await saveModel(transposedConvModel(), path.join(tmp, 'transposed'));
});

afterEach(() => {
  delete process.env.CONVSCOPE_ONNXRUNTIME_MODULE;
});

const filters = (engine: string, out: string, ...more: string[]) =>
  cli(
    'filters',
    '--layer',
    'block2_conv2',
    '--filters',
    '0-3',
    '--steps',
    '8',
    '--workers',
    '1',
    '--engine',
    engine,
    '--out',
    out,
    '--json',
    ...more,
  );

describe('--engine', () => {
  it('gives the same filters on ONNX Runtime and TF.js, and records the engine', async () => {
    const [onnx, tfjs, auto] = await Promise.all([
      filters('onnx', path.join(tmp, 'f-onnx')),
      filters('tfjs', path.join(tmp, 'f-tfjs')),
      filters('auto', path.join(tmp, 'f-auto')),
    ]);
    for (const r of [onnx, tfjs, auto]) expect(r.code, r.stderr).toBe(0);
    const [a, b, c] = [onnx, tfjs, auto].map((r) => JSON.parse(r.stdout));
    expect(a.engine).toBe('onnx');
    expect(a.engineDetails).toMatch(/onnxruntime-node \d/);
    expect(b.engine).toBe('tfjs');
    expect(c.engine).toBe('onnx');
    const best = (m: { items: { activation: { best: number } }[] }) =>
      m.items.map((i) => i.activation.best);
    expect(relativeError(best(a), best(b))).toBeLessThan(1e-3);
    const manifest = JSON.parse(await readFile(path.join(tmp, 'f-onnx', 'manifest.json'), 'utf8'));
    expect(manifest.engine).toBe('onnx');
  });

  it('scans the same top patches on both engines', async () => {
    const images = path.resolve('samples/fashion-mnist');
    const scan = (engine: string) =>
      cli(
        'patches',
        '--images',
        images,
        '--layer',
        'block3_conv2',
        '--filters',
        '0-3',
        '--engine',
        engine,
        '--out',
        path.join(tmp, `p-${engine}`),
        '--json',
      );
    const [onnx, tfjs] = await Promise.all([scan('onnx'), scan('tfjs')]);
    expect(onnx.code, onnx.stderr).toBe(0);
    expect(tfjs.code, tfjs.stderr).toBe(0);
    const [a, b] = [onnx, tfjs].map((r) => JSON.parse(r.stdout));
    expect(a.engine).toBe('onnx');
    expect(b.engine).toBe('tfjs');
    const tops = (m: { filters: { top: { image: string; activation: number }[] }[] }) =>
      m.filters.map((f) => f.top.map((t) => t.image));
    expect(tops(a)).toEqual(tops(b));
  });

  it('auto falls back to TF.js for a layer ONNX cannot run; onnx refuses', async () => {
    const auto = await cli(
      'filters',
      '--model',
      transposed,
      '--layer',
      'up',
      '--filters',
      '0',
      '--steps',
      '2',
      '--out',
      path.join(tmp, 't-auto'),
    );
    expect(auto.code, auto.stderr).toBe(0);
    expect(auto.stderr).toContain(
      "note: running on TF.js: the ONNX engine cannot run layer 'up' (Conv2DTranspose layers)",
    );
    const manifest = JSON.parse(await readFile(path.join(tmp, 't-auto', 'manifest.json'), 'utf8'));
    expect(manifest.engine).toBe('tfjs');
    const onnx = await cli(
      'filters',
      '--model',
      transposed,
      '--layer',
      'up',
      '--filters',
      '0',
      '--steps',
      '2',
      '--engine',
      'onnx',
      '--out',
      path.join(tmp, 't-onnx'),
    );
    expect(onnx.code).toBe(1);
    expect(onnx.stderr.trim().split('\n')).toEqual([
      "convscope: the ONNX engine cannot run layer 'up' (Conv2DTranspose layers) (use --engine tfjs (auto falls back to it))",
    ]);
  });

  it('auto runs on TF.js when onnxruntime-node cannot load; onnx refuses', async () => {
    process.env.CONVSCOPE_ONNXRUNTIME_MODULE = 'onnxruntime-node-not-installed';
    const auto = await filters('auto', path.join(tmp, 'm-auto'));
    expect(auto.code, auto.stderr).toBe(0);
    expect(JSON.parse(auto.stdout).engine).toBe('tfjs');
    const quiet = await cli('layers');
    expect(quiet.code).toBe(0);
    const loud = await cli(
      'filters',
      '--layer',
      'block1_conv1',
      '--filters',
      '0',
      '--steps',
      '1',
      '--out',
      path.join(tmp, 'm-loud'),
    );
    expect(loud.stderr).toMatch(
      /note: running on TF\.js: onnxruntime-node-not-installed cannot be loaded/,
    );
    const onnx = await filters('onnx', path.join(tmp, 'm-onnx'));
    expect(onnx.code).toBe(1);
    expect(onnx.stderr).toMatch(
      /^convscope: onnxruntime-node-not-installed cannot be loaded .*\(use --engine tfjs\)\n$/,
    );
  });

  it('maps, attribute, predict and evaluate report their engine and agree', async () => {
    const image = path.resolve('samples/inputs/sneaker.png');
    const run = (engine: string) =>
      Promise.all([
        cli(
          'maps',
          '--image',
          image,
          '--layer',
          'block2_conv1',
          '--engine',
          engine,
          '--out',
          path.join(tmp, `maps-${engine}.png`),
          '--json',
        ),
        cli(
          'attribute',
          '--image',
          image,
          '--method',
          'guided',
          '--layer',
          'block2_conv1',
          '--filter',
          '3',
          '--engine',
          engine,
          '--out',
          path.join(tmp, `att-${engine}.png`),
          '--json',
        ),
        cli('predict', '--image', image, '--engine', engine, '--json'),
      ]);
    const [onnx, tfjs] = [await run('onnx'), await run('tfjs')];
    for (const r of [...onnx, ...tfjs]) expect(r.code, r.stderr).toBe(0);
    const [maps, att, predict] = onnx.map((r) => JSON.parse(r.stdout));
    const [maps2, att2, predict2] = tfjs.map((r) => JSON.parse(r.stdout));
    expect([maps.engine, att.engine, predict[0].engine]).toEqual(['onnx', 'onnx', 'onnx']);
    expect([maps2.engine, att2.engine, predict2[0].engine]).toEqual(['tfjs', 'tfjs', 'tfjs']);
    const means = (m: { layers: { channels: { mean: number }[] }[] }) =>
      m.layers[0].channels.map((c) => c.mean);
    expect(relativeError(means(maps), means(maps2))).toBeLessThan(1e-4);
    expect(relativeError([att.min, att.max], [att2.min, att2.max])).toBeLessThan(1e-4);
    const probabilities = (p: { top: { probability: number }[] }[]) =>
      p[0].top.map((t) => t.probability);
    expect(relativeError(probabilities(predict), probabilities(predict2))).toBeLessThan(1e-4);
    const evaluate = await cli(
      'evaluate',
      '--images',
      path.resolve('samples/fashion-mnist'),
      '--engine',
      'onnx',
      '--out',
      path.join(tmp, 'confusion.png'),
      '--json',
    );
    expect(evaluate.code, evaluate.stderr).toBe(0);
    expect(JSON.parse(evaluate.stdout).engine).toBe('onnx');
  });

  it('refuses an unknown engine and bad thread counts', async () => {
    const engine = await cli('layers', '--engine', 'torch');
    expect(engine.code).toBe(1);
    expect(engine.stderr).toBe(
      "convscope: unknown engine 'torch' (use one of: auto, tfjs, onnx)\n",
    );
    const threads = await cli('layers', '--threads', '0');
    expect(threads.code).toBe(1);
    expect(threads.stderr).toBe("convscope: --threads must be a positive integer, not '0'\n");
  });
});
