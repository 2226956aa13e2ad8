/**
 * `convscope evaluate` end to end: the committed embedded model on the committed 1,000-image
 * sample (the accuracy the training run recorded on the same images, decoded from raw IDX
 * data there and from PNG files here), and the three labeled-folder layouts on a small model
 * written by the test, checked against `predict`.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/node/backend.js';
import { cli } from './helpers/cli.js';
import { saveModel, sequentialModel } from './helpers/fixture-models.js';
import { randomArray } from './helpers/random.js';

const LABELS = ['ant', 'bee', 'cat', 'dog', 'eel'];
let dir: string;
let modelDir: string;
let images: string[];

beforeAll(async () => {
  await initBackend('wasm');
  dir = await mkdtemp(path.join(tmpdir(), 'convscope-evaluate-'));
  modelDir = await saveModel(sequentialModel(), path.join(dir, 'model'), LABELS);
  images = [];
  for (let i = 0; i < 6; i++) {
    const pixels = Buffer.from(randomArray(12 * 12 * 3, 70 + i).map((v) => (v + 1) * 127.5));
    const file = path.join(dir, `img${i}.png`);
    await sharp(pixels, { raw: { width: 12, height: 12, channels: 3 } })
      .png()
      .toFile(file);
    images.push(file);
  }
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface EvaluateJson {
  accuracy: number;
  count: number;
  correct: number;
  confusion: number[][];
  perClass: { label: string; accuracy: number }[];
  skipped: { file: string }[];
  out: string;
}

describe('convscope evaluate', () => {
  it('scores the embedded model on the committed sample as its training run did', async () => {
    const out = path.join(dir, 'embedded-confusion.png');
    const { code, stdout } = await cli(
      'evaluate',
      '--images',
      'samples/fashion-mnist',
      '--out',
      out,
      '--json',
    );
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as EvaluateJson;
    const training = JSON.parse(await readFile('models/embedded/training.json', 'utf8')) as {
      sampleAccuracy: number;
    };
    expect(result.count).toBe(1000);
    expect(result.accuracy).toBeGreaterThanOrEqual(0.88);
    expect(Math.abs(result.accuracy - training.sampleAccuracy)).toBeLessThanOrEqual(0.005);
    expect(result.confusion.map((row) => row.reduce((a, b) => a + b))).toEqual(
      new Array(10).fill(100),
    );
    expect(result.perClass[1].label).toBe('Trouser');
    const meta = await sharp(out).metadata();
    expect(meta.format).toBe('png');
    expect(meta.width).toBeGreaterThan(500);
  });

  it('reads class sub-folders and index.csv, skips broken images, agrees with predict', async () => {
    const predicted = JSON.parse(
      (await cli('predict', '--model', modelDir, '--image', ...images, '--top', '1', '--json'))
        .stdout,
    ) as { image: string; top: { index: number }[] }[];
    const top1 = predicted.map((p) => p.top[0].index);
    // Truth: alternate the predicted class and another one, so the expected score is known.
    const truth = top1.map((c, i) => (i % 2 === 0 ? c : (c + 1) % LABELS.length));
    const expectedAccuracy = 3 / 6;

    const folders = path.join(dir, 'folders');
    for (const [i, file] of images.entries()) {
      await mkdir(path.join(folders, LABELS[truth[i]]), { recursive: true });
      await copyFile(file, path.join(folders, LABELS[truth[i]], `img${i}.png`));
    }
    await writeFile(path.join(folders, LABELS[0], 'broken.png'), 'not a png');
    const fromFolders = await cli(
      'evaluate',
      '--model',
      modelDir,
      '--images',
      folders,
      '--json',
      '--out',
      path.join(dir, 'folders.png'),
    );
    expect(fromFolders.code).toBe(0);
    const a = JSON.parse(fromFolders.stdout) as EvaluateJson;
    expect(a.count).toBe(6);
    expect(a.accuracy).toBeCloseTo(expectedAccuracy, 12);
    expect(a.skipped).toHaveLength(1);
    expect(a.skipped[0].file).toMatch(/broken\.png$/);
    for (const [i, t] of truth.entries()) expect(a.confusion[t][top1[i]]).toBeGreaterThan(0);

    const csvDir = path.join(dir, 'csv');
    await mkdir(csvDir);
    const rows = images.map(
      (f, i) => `${path.relative(csvDir, f)},${LABELS[truth[i]].toUpperCase()}`,
    );
    await writeFile(path.join(csvDir, 'index.csv'), ['file,label', ...rows].join('\n'));
    const fromCsv = await cli(
      'evaluate',
      '--model',
      modelDir,
      '--images',
      csvDir,
      '--json',
      '--out',
      path.join(dir, 'csv.png'),
    );
    expect(fromCsv.code).toBe(0);
    expect((JSON.parse(fromCsv.stdout) as EvaluateJson).confusion).toEqual(a.confusion);
  });

  it('predict --out draws the images, as the model saw them, in one grid', async () => {
    const out = path.join(dir, 'predictions.png');
    const { code } = await cli('predict', '--model', modelDir, '--image', ...images, '--out', out);
    expect(code).toBe(0);
    const meta = await sharp(out).metadata();
    // six 12 px images upscaled x10 in one row, plus gaps and a caption band
    expect(meta.width).toBeGreaterThanOrEqual(6 * 120);
    expect(meta.height).toBeGreaterThan(120);
    expect(meta.height).toBeLessThan(2 * 120);
  });

  it('names the valid classes for an unknown label and fails on a folder without labels', async () => {
    const bad = path.join(dir, 'bad');
    await mkdir(bad);
    await writeFile(
      path.join(bad, 'index.json'),
      JSON.stringify([{ file: 'x.png', label: 'yak' }]),
    );
    const unknown = await cli('evaluate', '--model', modelDir, '--images', bad);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/unknown class 'yak'.*ant, bee, cat, dog, eel/);

    const empty = path.join(dir, 'empty');
    await mkdir(empty);
    const none = await cli('evaluate', '--model', modelDir, '--images', empty);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no labels found.*index\.json/);
  });
});
