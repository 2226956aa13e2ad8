/**
 * Checks the Fashion-MNIST loader: the error that names the Debian package, the class names and
 * slugs, and (only where the package is installed, so CI stays offline-safe) the test split.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_DIR,
  classSlug,
  loadFashionMnist,
} from './fashion-mnist.js';

describe('loadFashionMnist', () => {
  it('names the package to install when the files are missing', async () => {
    await expect(loadFashionMnist('test', '/nonexistent/fashion-mnist')).rejects.toThrow(
      'apt-get install dataset-fashion-mnist',
    );
  });

  it('has ten classes with file-name slugs', () => {
    expect(FASHION_MNIST_CLASSES).toHaveLength(10);
    expect(classSlug(FASHION_MNIST_CLASSES[0])).toBe('t-shirt-top');
    expect(classSlug(FASHION_MNIST_CLASSES[9])).toBe('ankle-boot');
  });

  it.skipIf(!existsSync(FASHION_MNIST_DIR))('reads the installed test split', async () => {
    const test = await loadFashionMnist('test');
    expect(test.count).toBe(10_000);
    expect(test.images).toHaveLength(10_000 * 28 * 28);
    expect(Array.from(test.labels.subarray(0, 4))).toEqual([9, 2, 1, 1]);
  });
});
