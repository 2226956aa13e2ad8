/**
 * `convscope filters` and `convscope classes` end to end on the embedded model: files and
 * manifest per CLI.md, byte-identical reruns for a seed, history frames, the classic
 * figure's layers, class images the model itself classifies, and errors for bad input.
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../src/node/visualize.js';
import { cli } from './helpers/cli.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'convscope-visualize-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const readManifest = async (out: string) =>
  JSON.parse(await readFile(path.join(out, 'manifest.json'), 'utf8')) as Manifest;

describe('convscope filters', () => {
  it('writes PNGs, a grid, history and a manifest, identical for the same seed', async () => {
    const outs = [path.join(dir, 'a'), path.join(dir, 'b')];
    for (const out of outs) {
      // 32 steps: the default's transforms start large and shrink over the run, and filter 1
      // rises above its start only once they have shrunk (it does not within 16).
      const args = ['filters', '--layer', 'block2_conv1', '--filters', '0-2', '--steps', '32'];
      const { code, stdout } = await cli(
        ...args,
        '--history',
        '16',
        '--seed',
        '7',
        '--out',
        out,
        '--json',
      );
      expect(code).toBe(0);
      expect((JSON.parse(stdout) as Manifest).items).toHaveLength(3);
    }
    const [a, b] = await Promise.all(outs.map(readManifest));
    expect(a).toMatchObject({
      model: 'embedded',
      layer: 'block2_conv1',
      preset: 'lucid',
      steps: 32,
      size: 28,
      seed: 7,
      backend: 'wasm',
      grid: 'grid.png',
    });
    expect(a.tool).toMatch(/^convscope@\d/);
    expect(a.items.map((i) => i.file)).toEqual([
      'block2_conv1_0.png',
      'block2_conv1_1.png',
      'block2_conv1_2.png',
    ]);
    expect({ ...a, seconds: 0 }).toEqual({ ...b, seconds: 0 });
    for (const item of a.items) {
      expect(item.activation.best).toBeGreaterThan(item.activation.initial);
      expect(item.history!.map((h) => h.step)).toEqual([0, 16, 32]);
      const [x, y] = await Promise.all(outs.map((o) => readFile(path.join(o, item.file))));
      expect(x.equals(y)).toBe(true);
      const meta = await sharp(x).metadata();
      expect([meta.width, meta.height]).toEqual([112, 112]); // 28 px upscaled x4
    }
    const history = await readdir(path.join(outs[0], 'history'));
    expect(history).toContain('block2_conv1_0_step00016.png');
    expect(history).toContain('block2_conv1_0_strip.png');
    expect((await sharp(path.join(outs[0], 'grid.png')).metadata()).width).toBeGreaterThan(3 * 112);
  });

  it('--workers 2 runs one shard per worker, each equal to that shard run in this thread', async () => {
    const base = ['filters', '--layer', 'block1_conv1', '--steps', '8', '--json'];
    const pooled = JSON.parse(
      (
        await cli(
          ...base,
          '--filters',
          '0-3',
          '--seed',
          '5',
          '--workers',
          '2',
          '--out',
          path.join(dir, 'w2'),
        )
      ).stdout,
    ) as Manifest;
    expect(pooled.workers).toBe(2);
    expect(pooled.items.map((i) => i.index)).toEqual([0, 1, 2, 3]);
    // Shard s holds items [2s, 2s + 2) and uses seed 5 + s.
    for (const [filters, seed, first] of [
      ['0-1', '5', 0],
      ['2-3', '6', 2],
    ] as const) {
      const out = path.join(dir, `w1-${seed}`);
      const alone = JSON.parse(
        (await cli(...base, '--filters', filters, '--seed', seed, '--out', out)).stdout,
      ) as Manifest;
      for (const [j, item] of alone.items.entries()) {
        const twin = pooled.items[first + j];
        expect(twin.activation).toEqual(item.activation);
        const [a, b] = await Promise.all([
          readFile(path.join(out, item.file)),
          readFile(path.join(dir, 'w2', twin.file)),
        ]);
        expect(a.equals(b)).toBe(true);
      }
    }
  });

  it('with no --layer draws the last conv of each block, 8 filters each', async () => {
    const out = path.join(dir, 'classic');
    const { code } = await cli('filters', '--steps', '2', '--out', out, '--quiet');
    expect(code).toBe(0);
    const manifest = await readManifest(out);
    expect(manifest.layer).toBe('block1_conv2,block2_conv2,block3_conv2');
    expect(manifest.items).toHaveLength(24);
    expect(manifest.items.filter((i) => i.layer === 'block3_conv2').map((i) => i.index)).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7,
    ]);
  });

  it('renders models that take any size at the preset size or --size; fixed ones refuse --size', async () => {
    const zoo = [
      '--model',
      'vgg16-notop',
      '--weights',
      'none',
      '--layer',
      'block1_conv1',
      '--filters',
      '0',
      '--steps',
      '1',
      '--json',
    ];
    const lucid = JSON.parse(
      (await cli('filters', ...zoo, '--out', path.join(dir, 'z1'))).stdout,
    ) as Manifest;
    expect(lucid.size).toBe(128);
    const sized = JSON.parse(
      (await cli('filters', ...zoo, '--size', '64', '--out', path.join(dir, 'z2'))).stdout,
    ) as Manifest;
    expect(sized.size).toBe(64);
    expect((await sharp(path.join(dir, 'z2', sized.items[0].file)).metadata()).width).toBe(64 * 2);
    const fixed = await cli(
      'filters',
      '--layer',
      'block1_conv1',
      '--size',
      '64',
      '--out',
      path.join(dir, 'z3'),
    );
    expect(fixed.code).toBe(1);
    expect(fixed.stderr).toMatch(/input size is fixed by its Flatten layer 'flatten'/);
  });

  it('names the fix for bad layers, filters, presets and settings', async () => {
    const layer = await cli(
      'filters',
      '--layer',
      'blok2_conv1',
      '--steps',
      '1',
      '--out',
      path.join(dir, 'x'),
    );
    expect(layer.code).toBe(1);
    expect(layer.stderr).toMatch(/unknown layer 'blok2_conv1'; layers are: .*block2_conv1/);
    const filter = await cli(
      'filters',
      '--layer',
      'block1_conv1',
      '--filters',
      '40',
      '--out',
      path.join(dir, 'x'),
    );
    expect(filter.code).toBe(1);
    expect(filter.stderr).toMatch(
      /channel 40 is out of range; layer 'block1_conv1' has 16 channels \(0-15\)/,
    );
    const preset = await cli('filters', '--preset', 'lucyd', '--out', path.join(dir, 'x'));
    expect(preset.code).toBe(1);
    expect(preset.stderr).toMatch(
      /unknown preset 'lucyd'; presets are: lucid, keras, mean-prior, maco, yosinski-1/,
    );
    const optimizer = await cli('filters', '--optimizer', 'adamw', '--out', path.join(dir, 'x'));
    expect(optimizer.code).toBe(1);
    expect(optimizer.stderr).toMatch(/--optimizer must be one of adam, nadam, sgd, progress, rms/);
  });
});

describe('convscope classes', () => {
  it('draws every class so that the model gives it more than 0.9 probability', async () => {
    const out = path.join(dir, 'classes');
    const { code, stdout } = await cli('classes', '--class', 'all', '--out', out, '--json');
    expect(code).toBe(0);
    const manifest = JSON.parse(stdout) as Manifest;
    expect(manifest.preset).toBe('mean-prior');
    expect(manifest.items.map((i) => i.label)).toEqual([
      'T-shirt/top',
      'Trouser',
      'Pullover',
      'Dress',
      'Coat',
      'Sandal',
      'Shirt',
      'Sneaker',
      'Bag',
      'Ankle boot',
    ]);
    for (const item of manifest.items) {
      expect(item.probability, item.label).toBeGreaterThan(0.9);
      expect(item.activation.best).toBeGreaterThan(item.activation.initial);
    }
    expect(manifest.items[8].file).toBe('class_8_bag.png');
  });

  it('accepts class names and rejects unknown ones with the list', async () => {
    const ok = await cli(
      'classes',
      '--class',
      'Bag,ankle boot',
      '--steps',
      '2',
      '--out',
      path.join(dir, 'named'),
      '--json',
    );
    expect(ok.code).toBe(0);
    expect((JSON.parse(ok.stdout) as Manifest).items.map((i) => i.index)).toEqual([8, 9]);
    const bad = await cli('classes', '--class', 'Hat', '--out', path.join(dir, 'named'));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/unknown class 'Hat'; classes are: T-shirt\/top, Trouser/);
  });
});
