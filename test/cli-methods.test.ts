/**
 * `weights`, `maps`, `attribute` and `patches` end to end through the compiled CLI, on a small
 * model and images written by the test: the CLI.md JSON fields, the PNGs, and exit code 1 with
 * one clear line for bad input.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/node/backend.js';
import { cli } from './helpers/cli.js';
import { saveModel, sequentialModel } from './helpers/fixture-models.js';
import { randomArray } from './helpers/random.js';

let dir: string;
let model: string;
let image: string;

beforeAll(async () => {
  await initBackend('wasm');
  dir = await mkdtemp(path.join(tmpdir(), 'convscope-cli-methods-'));
  model = await saveModel(sequentialModel(), path.join(dir, 'model'), ['a', 'b', 'c', 'd', 'e']);
  await mkdir(path.join(dir, 'images'));
  for (let i = 0; i < 5; i++) {
    const pixels = Buffer.from(
      randomArray(12 * 12 * 3, 90 + i).map((v) => Math.round((v + 1) * 127.5)),
    );
    await sharp(pixels, { raw: { width: 12, height: 12, channels: 3 } })
      .png()
      .toFile(path.join(dir, 'images', `img${i}.png`));
  }
  await writeFile(path.join(dir, 'images', 'broken.png'), 'not a png');
  image = path.join(dir, 'images', 'img0.png');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('convscope weights, maps, attribute, patches', () => {
  it('weights writes a grid and reports the filters', async () => {
    const out = path.join(dir, 'w.png');
    const { code, stdout } = await cli(
      'weights',
      '--model',
      model,
      '--layer',
      'conv_a',
      '--out',
      out,
      '--json',
    );
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({ layer: 'conv_a', out, kernelShape: [3, 3, 3, 4], mode: 'rgb' });
    expect(result.filters.map((f: { index: number }) => f.index)).toEqual([0, 1, 2, 3]);
    expect((await sharp(out).metadata()).width).toBeGreaterThan(2 * 64);
  });

  it('maps reports per-channel statistics', async () => {
    const out = path.join(dir, 'maps.png');
    const { code, stdout } = await cli(
      'maps',
      '--model',
      model,
      '--image',
      image,
      '--layer',
      'conv_a,conv_b',
      '--channels',
      '0-2',
      '--out',
      out,
      '--json',
    );
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.out).toBe(out);
    expect(result.layers.map((l: { name: string }) => l.name)).toEqual(['conv_a', 'conv_b']);
    expect(result.layers[1].channels).toHaveLength(3);
    expect(Object.keys(result.layers[1].channels[0])).toEqual(['index', 'mean', 'min', 'max']);
  });

  it('attribute runs every method and reports min and max', async () => {
    for (const method of ['deconvnet', 'guided', 'saliency', 'smoothgrad', 'gradcam']) {
      const out = path.join(dir, `${method}.png`);
      const target =
        method === 'gradcam' ? ['--class', 'c'] : ['--layer', 'conv_b', '--filter', '2'];
      const { code, stdout, stderr } = await cli(
        'attribute',
        '--model',
        model,
        '--image',
        image,
        '--method',
        method,
        ...target,
        // --samples only where it applies: other methods refuse it rather than ignore it.
        ...(method === 'smoothgrad' ? ['--samples', '4'] : []),
        '--out',
        out,
        '--json',
      );
      expect(code, stderr).toBe(0);
      const result = JSON.parse(stdout);
      expect(result).toMatchObject({ method, out });
      expect(result.max).toBeGreaterThanOrEqual(result.min);
      expect((await sharp(out).metadata()).width).toBeGreaterThan(2 * 224);
    }
  });

  it('patches scans a folder, skips the broken file and lists it', async () => {
    const out = path.join(dir, 'patches');
    const { code, stdout, stderr } = await cli(
      'patches',
      '--model',
      model,
      '--images',
      path.join(dir, 'images'),
      '--layer',
      'conv_b',
      '--top',
      '3',
      '--filters',
      '0-1',
      '--deconv',
      '--out',
      out,
      '--json',
    );
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/images\/s/);
    expect(stderr).toMatch(/skipped .*broken\.png/);
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({ layer: 'conv_b', scanned: 5 });
    expect(result.skipped).toHaveLength(1);
    expect(result.filters).toHaveLength(2);
    const first = result.filters[0].top[0];
    expect(Object.keys(first).sort()).toEqual(
      ['activation', 'box', 'deconvFile', 'file', 'image', 'x', 'y'].sort(),
    );
    expect((await sharp(first.file).metadata()).width).toBe(5);
    expect(JSON.parse(await readFile(path.join(out, 'manifest.json'), 'utf8')).layer).toBe(
      'conv_b',
    );
    const again = await cli(
      'patches',
      '--model',
      model,
      '--images',
      path.join(dir, 'images'),
      '--layer',
      'conv_b',
      '--top',
      '2',
      '--out',
      out,
    );
    expect(again.stderr).toMatch(/reused the saved scan/);
  });

  it('patches --workers 2 (compiled worker) gives the same patches as --workers 1', async () => {
    const run = (workers: string) =>
      cli(
        'patches',
        '--model',
        model,
        '--images',
        path.join(dir, 'images'),
        '--layer',
        'conv_a,conv_b',
        '--batch',
        '2',
        '--workers',
        workers,
        '--out',
        path.join(dir, `patches-w${workers}`),
        '--json',
      );
    const [one, two] = [await run('1'), await run('2')];
    expect(two.code, two.stderr).toBe(0);
    expect(two.stderr).toMatch(/images\/s, 2 workers/);
    expect(two.stderr).toMatch(/skipped .*broken\.png/);
    const picks = (stdout: string) =>
      (
        JSON.parse(stdout) as {
          workers: number;
          filters: { top: { file: string; deconvFile?: string }[] }[];
        }[]
      ).map((r) => ({
        filters: r.filters.map((f) => f.top.map(({ file: _, deconvFile: __, ...rest }) => rest)),
      }));
    expect(JSON.parse(two.stdout)[0].workers).toBe(2);
    expect(picks(two.stdout)).toEqual(picks(one.stdout));
  });

  it('bad input: one line and exit code 1', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['weights', '--layer', 'nope', '--out', 'x.png'],
        /unknown layer 'nope'; layers are: .*conv_a/,
      ],
      [
        ['weights', '--layer', 'conv_a', '--filters', '7', '--out', 'x.png'],
        /filter 7 is out of range; layer 'conv_a' has 4 filters/,
      ],
      [['weights', '--layer', 'pool', '--out', 'x.png'], /has no convolution kernel/],
      [
        ['maps', '--image', path.join(dir, 'images', 'broken.png'), '--out', 'x.png'],
        /cannot decode image .*broken\.png/,
      ],
      [
        ['attribute', '--image', image, '--method', 'magic', '--out', 'x.png'],
        /unknown --method 'magic'/,
      ],
      [
        [
          'attribute',
          '--image',
          image,
          '--method',
          'guided',
          '--layer',
          'conv_b',
          '--filter',
          '9',
          '--out',
          'x.png',
        ],
        /channel 9 is out of range; layer 'conv_b' has \d+ channels/,
      ],
      [
        [
          'patches',
          '--images',
          path.join(dir, 'images'),
          '--layer',
          'flatten',
          '--out',
          path.join(dir, 'p2'),
        ],
        /no spatial map/,
      ],
    ];
    for (const [args, message] of cases) {
      const { code, stderr } = await cli(...args, '--model', model);
      expect(code, stderr).toBe(1);
      expect(stderr).toMatch(message);
      expect(stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
