/**
 * Loads Fashion-MNIST (Zalando Research, MIT license) from the IDX files that Debian's
 * `dataset-fashion-mnist` package installs. Used to train and evaluate the embedded default
 * model; nothing at run time needs it, since the model and a sample of images are committed.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConvscopeError } from '../../core/errors.js';
import { readIdx } from './idx.js';
import { classSlug } from '../../core/run/run-items.js';

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** The ten class names, indexed by label. */
export const FASHION_MNIST_CLASSES = [
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
] as const;

export const FASHION_MNIST_SIZE = 28;

export type FashionMnistSplit = 'train' | 'test';

/** One split: `count` images of 28x28 bytes (row-major, 0 = background) and their labels. */
export interface FashionMnist {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}

const PREFIX: Record<FashionMnistSplit, string> = { train: 'train', test: 't10k' };

function findFile(dir: string, name: string): string | null {
  for (const candidate of [name, `${name}.gz`]) {
    const path = join(dir, candidate);
    if (existsSync(path)) return path;
  }
  return null;
}

/** Reads one split; throws a ConvscopeError naming the package when the files are missing. */
export async function loadFashionMnist(
  split: FashionMnistSplit,
  dir: string = FASHION_MNIST_DIR,
): Promise<FashionMnist> {
  const imagesPath = findFile(dir, `${PREFIX[split]}-images-idx3-ubyte`);
  const labelsPath = findFile(dir, `${PREFIX[split]}-labels-idx1-ubyte`);
  if (imagesPath === null || labelsPath === null) {
    throw new ConvscopeError(
      `Fashion-MNIST not found under ${dir}; ` +
        'install it with `apt-get install dataset-fashion-mnist`',
    );
  }
  const [images, labels] = await Promise.all([readIdx(imagesPath), readIdx(labelsPath)]);
  const [count, rows, cols] = images.dims;
  if (
    images.dims.length !== 3 ||
    rows !== FASHION_MNIST_SIZE ||
    cols !== FASHION_MNIST_SIZE ||
    labels.dims.length !== 1 ||
    labels.dims[0] !== count
  ) {
    throw new ConvscopeError(
      `unexpected Fashion-MNIST shapes in ${dir}: images [${images.dims.join(', ')}], ` +
        `labels [${labels.dims.join(', ')}]`,
    );
  }
  return { images: images.data, labels: labels.data, count };
}

/** A file-name slug of a class name (core run-items.ts: the stems of both faces use it). */
export { classSlug };

/**
 * The mean image of a split, values in [0, 1] (28 x 28). Activation maximization centres its
 * pixel space on it (Yosinski et al. optimize the mean-subtracted image).
 */
export function meanImage(data: FashionMnist): Float32Array {
  const pixels = FASHION_MNIST_SIZE * FASHION_MNIST_SIZE;
  const sums = new Float64Array(pixels);
  for (let i = 0; i < data.count; i++) {
    for (let p = 0; p < pixels; p++) sums[p] += data.images[i * pixels + p];
  }
  return Float32Array.from(sums, (s) => s / data.count / 255);
}
