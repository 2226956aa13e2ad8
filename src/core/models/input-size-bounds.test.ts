import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../node/backend.js';
import { buildVgg } from './architectures/vgg.js';
import {
  activationBudget,
  activationBytes,
  checkInputSize,
  largestBatch,
  largestInputSize,
  smallestInputSize,
} from './input-size-bounds.js';
import { VisModel } from './vis-model.js';

let vgg: VisModel;

beforeAll(async () => {
  await initBackend('wasm');
  vgg = new VisModel(buildVgg('vgg16', { includeTop: false, size: 64, widthDivisor: 16, seed: 1 }));
});

/** A hand-checkable net: valid 5x5 conv, 2x2 pool, 1-px zero padding, valid 3x3 conv. */
function smallNet(): VisModel {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [32, 32, 1], filters: 2, kernelSize: 5, name: 'c1' }),
      tf.layers.maxPooling2d({ poolSize: 2, name: 'p1' }),
      tf.layers.zeroPadding2d({ padding: 1, name: 'pad' }),
      tf.layers.conv2d({ filters: 3, kernelSize: 3, name: 'c2' }),
      tf.layers.globalAveragePooling2d({ name: 'gap' }),
    ],
  });
  return new VisModel(model);
}

describe('smallestInputSize', () => {
  it('is the size at which the last layer up to the target still has a 1x1 map', () => {
    // VGG16: four 2x2 pools before block5, so 16 px leaves block5 at 1x1 and 15 px at 0x0.
    expect(smallestInputSize(vgg, ['block5_conv3'])).toBe(16);
    expect(smallestInputSize(vgg, ['block4_conv1'])).toBe(8);
    expect(smallestInputSize(vgg, ['block1_conv1'])).toBe(1);
    // The whole model: block5_pool needs 32.
    expect(smallestInputSize(vgg, [])).toBe(32);
    // c1 needs 5; p1 needs c1 >= 2, so 6; pad adds 2 (c2 needs 3: fine once p1 is 1x1).
    const net = smallNet();
    expect(smallestInputSize(net, ['c1'])).toBe(5);
    expect(smallestInputSize(net, ['c2'])).toBe(6);
    net.dispose();
  });
});

describe('activationBytes', () => {
  it('counts every layer up to the target, the largest again, per image of the batch', () => {
    const net = smallNet();
    // At 12 px: input 12x12x1 = 144, c1 8x8x2 = 128, p1 4x4x2 = 32, pad 6x6x2 = 72, c2 4x4x3 = 48.
    const sum = 144 + 128 + 32 + 72 + 48;
    expect(activationBytes(net, ['c2'], 12, 1)).toBe((sum * 9 + 144 * 4) * 4);
    expect(activationBytes(net, ['c2'], 12, 3)).toBe(3 * (sum * 9 + 144 * 4) * 4);
    expect(activationBytes(net, ['c1'], 12, 1)).toBe(((144 + 128) * 9 + 144 * 4) * 4);
    net.dispose();
  });

  it('leaves the 4 GiB heap less the weights and a baseline as the budget', () => {
    const weights = vgg.layers.reduce((n, node) => n + node.layer.countParams(), 0) * 4;
    expect(activationBudget(vgg)).toBe(4 * 2 ** 30 - 256 * 2 ** 20 - weights);
  });
});

describe('largestInputSize and largestBatch', () => {
  it('are the last size and batch that fit the budget', () => {
    const budget = 2 ** 28;
    const size = largestInputSize(vgg, ['block3_conv1'], 2, budget);
    expect(activationBytes(vgg, ['block3_conv1'], size, 2)).toBeLessThanOrEqual(budget);
    expect(activationBytes(vgg, ['block3_conv1'], size + 1, 2)).toBeGreaterThan(budget);
    const batch = largestBatch(vgg, ['block3_conv1'], 128, budget);
    expect(activationBytes(vgg, ['block3_conv1'], 128, batch)).toBeLessThanOrEqual(budget);
    expect(activationBytes(vgg, ['block3_conv1'], 128, batch + 1)).toBeGreaterThan(budget);
  });
});

describe('checkInputSize', () => {
  it('refuses a size below the smallest, naming the empty layer and the bound', () => {
    expect(() => checkInputSize(vgg, 15, { targets: ['block5_conv3'] })).toThrow(
      '--size 15 is too small for block5_conv3: block4_pool would be 0x0; the smallest size is 16',
    );
    expect(() => checkInputSize(vgg, 1, { targets: ['block5_conv3'] })).toThrow(
      '--size 1 is too small for block5_conv3: block1_pool would be 0x0; the smallest size is 16',
    );
    expect(() => checkInputSize(vgg, 0, { targets: ['block5_conv3'] })).toThrow(
      /^--size 0 is too small for block5_conv3; the smallest size is 16$/,
    );
    expect(() => checkInputSize(vgg, 2.5, { targets: ['block1_conv1'] })).toThrow(
      "--size must be a whole number of pixels, got '2.5'",
    );
    expect(() => checkInputSize(vgg, 16, { targets: ['block5_conv3'] })).not.toThrow();
  });

  it('refuses a size or batch that does not fit, with the largest size and batch that do', () => {
    const budget = 2 ** 28;
    const largest = largestInputSize(vgg, ['block1_conv1'], 4, budget);
    const batch = largestBatch(vgg, ['block1_conv1'], largest + 1, budget);
    let message = '';
    try {
      checkInputSize(vgg, largest + 1, { targets: ['block1_conv1'], batch: 4, budget });
    } catch (error) {
      message = `${(error as Error).message} (${(error as { hint: string }).hint})`;
    }
    expect(message).toMatch(
      new RegExp(
        `^--size ${largest + 1} is too large: a batch of 4 at ${largest + 1} px needs about [0-9.]+ GiB up to block1_conv1; 0\\.3 GiB of the 4 GiB backend heap is free beside the weights \\(use --size ${largest} or less, or --batch ${batch} or less\\)$`,
      ),
    );
    expect(() =>
      checkInputSize(vgg, largest, { targets: ['block1_conv1'], batch: 4, budget }),
    ).not.toThrow();
    expect(() => checkInputSize(vgg, 100000, { targets: ['block1_conv1'] })).toThrow(
      /--size 100000 is too large: a batch of 1 at 100000 px needs about \d+ GiB/,
    );
  });
});
