/**
 * `convscope atlas` end to end on the embedded model (two layers, 24 images, 8 steps: the
 * full 224-unit, 1,000-image build is measured in BENCHMARKS.md, not here): the site's files,
 * a manifest that lists every unit as done with its parts, PNGs at the model's input size, the
 * statistics checked against the model run independently here (the best natural activation is
 * the channel's maximum over the images; the optimized activation is the channel mean on the
 * stored PNG), a rerun that builds nothing, and the errors that name their fix.
 */
import * as tf from '@tensorflow/tfjs';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VisModel } from '../src/core/models/vis-model.js';
import type { AtlasManifest } from '../src/node/atlas/plan.js';
import { initBackend } from '../src/node/backend.js';
import { loadImage } from '../src/node/images.js';
import { openModel } from '../src/node/open-model.js';
import { cli } from './helpers/cli.js';

let dir: string;
let images: string;
let site: string;
let model: VisModel;
const LAYERS = ['block1_conv1', 'block2_conv1'];
const build = (out: string, ...extra: string[]) =>
  cli(
    'atlas',
    '--layers',
    LAYERS.join(','),
    '--images',
    images,
    '--steps',
    '8',
    '--engine',
    'tfjs',
    '--workers',
    '1',
    '--out',
    out,
    ...extra,
  );
const readAtlas = async (out: string) =>
  JSON.parse(await readFile(path.join(out, 'atlas.json'), 'utf8')) as AtlasManifest;

/** Per-channel [max, mean] of `layer` for one HWC image (independent of the atlas's code). */
function channelStats(pixels: Float32Array, layer: string): { max: number[]; mean: number[] } {
  const { height, width, channels } = model.input;
  return tf.tidy(() => {
    const input = tf.tensor4d(pixels, [1, height, width, channels]);
    const acts = model.activations(input, [layer])[layer];
    return {
      max: Array.from(acts.max([0, 1, 2]).dataSync()),
      mean: Array.from(acts.mean([0, 1, 2]).dataSync()),
    };
  });
}

describe('convscope atlas', () => {
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'convscope-atlas-'));
    images = path.join(dir, 'images');
    await mkdir(images);
    const samples = (await readdir('samples/fashion-mnist')).filter((f) => f.endsWith('.png'));
    for (const name of samples.slice(0, 24)) {
      await copyFile(path.join('samples/fashion-mnist', name), path.join(images, name));
    }
    site = path.join(dir, 'site');
    await initBackend('cpu');
    model = await openModel({});
  }, 60_000);
  afterAll(async () => {
    model?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a site with every unit done, PNGs at the input size, measured statistics', async () => {
    const result = await build(site, '--json');
    expect(result.stderr).not.toMatch(/convscope: /);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ units: 48 });
    for (const file of ['index.html', 'atlas.js', 'atlas.css', 'atlas-data.js', 'workbench.js']) {
      expect((await stat(path.join(site, file))).size).toBeGreaterThan(0);
    }
    const atlas = await readAtlas(site);
    // The page's data is the manifest itself.
    const data = await readFile(path.join(site, 'atlas-data.js'), 'utf8');
    expect(
      JSON.parse(data.replace(/^window\.CONVSCOPE_ATLAS = /, '').replace(/;\s*$/, '')),
    ).toEqual(atlas);
    expect(atlas.layers.map((l) => [l.name, l.channels, l.receptiveField?.size])).toEqual([
      ['block1_conv1', 16, 3],
      ['block2_conv1', 32, 10],
    ]);
    expect(atlas.units).toHaveLength(48);
    for (const unit of atlas.units) {
      expect(unit.attempts).toBe(1);
      expect(unit.patches).toHaveLength(9);
      for (const part of [unit.image!, unit.kernel!, ...unit.patches!.map((p) => p.deconv!)]) {
        expect((await stat(path.join(site, part))).isFile()).toBe(true);
      }
      const meta = await sharp(path.join(site, unit.image!)).metadata();
      expect([meta.width, meta.height]).toEqual([28, 28]);
      // Gray first-layer kernels are one 3x3 tile; 16 input channels a 4x4 mosaic of them.
      const kernel = await sharp(path.join(site, unit.kernel!)).metadata();
      expect(kernel.width).toBe(unit.layer === 'block1_conv1' ? 3 : 15);
    }
    // Best natural activation: the channel's maximum over the 24 images, computed here.
    const files = (await readdir(images)).map((f) => path.join(images, f));
    for (const layer of LAYERS) {
      const best: number[] = [];
      for (const file of files) {
        const { max } = channelStats(await loadImage(file, model.input), layer);
        max.forEach((v, c) => (best[c] = Math.max(best[c] ?? -Infinity, v)));
      }
      for (const unit of atlas.units.filter((u) => u.layer === layer)) {
        expect(unit.stats!.natural).toBeCloseTo(best[unit.index], 4);
        expect(unit.patches![0].activation).toBeCloseTo(best[unit.index], 4);
      }
    }
    // Optimized activation: the channel mean on the stored 28 px PNG (8-bit, so close, not equal).
    for (const unit of atlas.units.filter((u) => u.layer === 'block1_conv1' && !u.stats!.dead)) {
      const pixels = await loadImage(path.join(site, unit.image!), model.input);
      const { mean } = channelStats(pixels, unit.layer);
      expect(Math.abs(mean[unit.index] - unit.stats!.optimized)).toBeLessThan(
        0.03 * Math.abs(unit.stats!.optimized) + 0.01,
      );
    }
  }, 240_000);

  it('a rerun builds nothing and rewrites no unit', async () => {
    const image = path.join(site, 'units/block2_conv1/5.png');
    const before = (await stat(image)).mtimeMs;
    const result = await build(site);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/48 done before, 0 to build/);
    expect((await stat(image)).mtimeMs).toBe(before);
    expect((await readAtlas(site)).units.every((u) => u.attempts === 1)).toBe(true);
  }, 120_000);

  it('names the fix for bad input', async () => {
    const file = path.join(dir, 'a-file');
    await writeFile(file, 'x');
    const corrupt = path.join(dir, 'corrupt');
    await mkdir(corrupt);
    await writeFile(path.join(corrupt, 'atlas.json'), '{"settings": {}, "units": [');
    const x = path.join(dir, 'x');
    const [unknown, dense, noImages, onFile, other, damaged] = await Promise.all([
      build(x, '--layers', 'block9_conv1'),
      build(x, '--layers', 'fc1'),
      build(x, '--images', path.join(dir, 'nowhere')),
      build(file),
      build(site, '--steps', '9'),
      build(corrupt),
    ]);
    expect(unknown.stderr).toMatch(/block9_conv1.*block1_conv1/s);
    expect(dense.stderr).toMatch(/'fc1' \(Dense\) is not a conv layer.*all-conv/);
    expect(noImages.stderr).toMatch(/--images .*nowhere is not a folder/);
    expect(onFile.stderr).toMatch(/a-file is a file; the atlas is a folder/);
    expect(other.stderr).toMatch(/other settings \(steps: 8 there, 9 now\).*another --out/);
    expect(damaged.stderr).toMatch(/atlas\.json is damaged.*build the atlas again/);
    for (const result of [unknown, dense, noImages, onFile, other, damaged]) {
      expect(result.code).toBe(1);
    }
  }, 120_000);
});
