/**
 * Writes the committed Fashion-MNIST sample that convscope uses offline (tests, demos, the
 * top-9 patch search): `samples/fashion-mnist/` holds the first 100 test images of each class as
 * 28x28 grayscale PNGs plus `index.json`, and `samples/inputs/` a few test images upscaled to
 * 112x112 for feature-map demos. Called by scripts/train-embedded.ts; also runnable alone:
 * `node --import tsx scripts/export-samples.ts`.
 */
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import type { Sharp } from 'sharp';
import {
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_SIZE,
  classSlug,
  loadFashionMnist,
} from '../src/node/datasets/fashion-mnist.js';
import type { FashionMnist } from '../src/node/datasets/fashion-mnist.js';

export const SAMPLES_PER_CLASS = 100;
const DEMO_SIZE = 112;
// One demo input per class that reads well at a glance, in this order.
const DEMO_CLASSES = [9, 1, 2, 3, 7, 8];

/** One entry of samples/fashion-mnist/index.json. */
export interface SampleEntry {
  file: string;
  label: number;
  name: string;
  testIndex: number;
}

/** Test-set indices of the first `perClass` images of each class, in test-set order. */
export function sampleIndices(test: FashionMnist, perClass = SAMPLES_PER_CLASS): number[] {
  const taken = new Array<number>(FASHION_MNIST_CLASSES.length).fill(0);
  const out: number[] = [];
  for (let i = 0; i < test.count; i++) {
    const label = test.labels[i];
    if (taken[label] < perClass) {
      taken[label]++;
      out.push(i);
    }
  }
  return out;
}

function imageAt(test: FashionMnist, index: number): Buffer {
  const pixels = FASHION_MNIST_SIZE * FASHION_MNIST_SIZE;
  return Buffer.from(test.images.subarray(index * pixels, (index + 1) * pixels));
}

function grayPng(pixels: Buffer): Sharp {
  const size = FASHION_MNIST_SIZE;
  // b-w keeps the PNG single-channel; sharp writes raw 1-channel input as RGB otherwise.
  return sharp(pixels, { raw: { width: size, height: size, channels: 1 } }).toColourspace('b-w');
}

// Removes the PNGs of a previous run, so that a rerun leaves exactly what it wrote.
async function emptyPngs(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const name of await readdir(dir)) {
    if (name.endsWith('.png')) await rm(join(dir, name));
  }
}

/** Writes both sample folders under `root` (the repository root) and returns the index. */
export async function exportSamples(test: FashionMnist, root: string): Promise<SampleEntry[]> {
  const sampleDir = join(root, 'samples', 'fashion-mnist');
  const inputsDir = join(root, 'samples', 'inputs');
  await emptyPngs(sampleDir);
  await emptyPngs(inputsDir);

  const index: SampleEntry[] = sampleIndices(test).map((testIndex) => {
    const label = test.labels[testIndex];
    const name = FASHION_MNIST_CLASSES[label];
    const file = `${String(testIndex).padStart(4, '0')}-${classSlug(name)}.png`;
    return { file, label, name, testIndex };
  });
  await Promise.all(
    index.map((e) => grayPng(imageAt(test, e.testIndex)).png().toFile(join(sampleDir, e.file))),
  );
  // One entry a line: 1,000 entries stay readable and diff well.
  const lines = index.map((e) => `  ${JSON.stringify(e)}`).join(',\n');
  await writeFile(join(sampleDir, 'index.json'), `[\n${lines}\n]\n`);

  for (const label of DEMO_CLASSES) {
    const first = index.find((e) => e.label === label)!;
    await grayPng(imageAt(test, first.testIndex))
      .resize(DEMO_SIZE, DEMO_SIZE, { kernel: 'nearest' })
      .png()
      .toFile(join(inputsDir, `${classSlug(first.name)}.png`));
  }
  return index;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const index = await exportSamples(await loadFashionMnist('test'), process.cwd());
  process.stderr.write(`wrote ${index.length} samples\n`);
}
