/**
 * The sparse maps of the fused step against TF.js' own transforms (an independent
 * computation): each map, their composition and the whole view of a step give the same
 * pixels as the TF.js ops with the same Rng; the transposed map is the exact gradient of the
 * map (checked against tf.grad of the TF.js transform).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { relativeError } from '../../../test/helpers/random.js';
import { initBackend } from '../../node/backend.js';
import { preprocessAffine, toModelInput, type InputSpec } from '../models/input-spec.js';
import { createRng } from '../optimize/rng.js';
import { resize, rotate } from './affine-sample.js';
import {
  applyMap,
  composeMaps,
  cropMap,
  padMap,
  resizeMap,
  rotateMap,
  transposeMap,
  type SparseMap,
} from './sparse-map.js';
import { compose, fromSpec, standardTransforms } from './transforms.js';
import { viewMaps } from './view-maps.js';

beforeAll(async () => {
  await initBackend('cpu');
});

const random = (shape: [number, number, number, number], seed: number) =>
  tf.randomUniform(shape, 0, 1, 'float32', seed) as tf.Tensor4D;

function expectMapEquals(map: SparseMap, images: tf.Tensor4D, expected: tf.Tensor4D): void {
  const [b, , , c] = images.shape;
  const out = applyMap(map, images.dataSync() as Float32Array, b, c);
  expect(expected.shape).toEqual([b, map.outHeight, map.outWidth, c]);
  expect(relativeError(out, expected.dataSync())).toBeLessThan(1e-6);
}

describe('sparse maps equal the TF.js transforms', () => {
  let x: tf.Tensor4D;
  beforeAll(() => {
    x = random([2, 13, 11, 3], 1);
  });

  it('pad, crop', () => {
    expectMapEquals(
      padMap(13, 11, 3, 0.5),
      x,
      tf.pad(
        x,
        [
          [0, 0],
          [3, 3],
          [3, 3],
          [0, 0],
        ],
        0.5,
      ),
    );
    expectMapEquals(cropMap(13, 11, 2, 1, 9, 8), x, tf.slice(x, [0, 2, 1, 0], [-1, 9, 8, -1]));
  });

  it('bilinear resize with half-pixel centres, down and up', () => {
    for (const [h, w] of [
      [9, 7],
      [17, 15],
      [13, 11],
    ]) {
      expectMapEquals(resizeMap(13, 11, h, w), x, tf.image.resizeBilinear(x, [h, w], false, true));
    }
  });

  it('rotation with a fill', () => {
    for (const degrees of [-10, 3, 45]) {
      expectMapEquals(rotateMap(13, 11, degrees, 0.5), x, rotate(x, degrees, 0.5));
    }
  });

  it('a composition equals the chained transforms', () => {
    const map = composeMaps(
      composeMaps(padMap(13, 11, 2, 0.5), resizeMap(17, 15, 19, 16)),
      rotateMap(19, 16, 7, 0.5),
    );
    const expected = rotate(
      tf.image.resizeBilinear(
        tf.pad(
          x,
          [
            [0, 0],
            [2, 2],
            [2, 2],
            [0, 0],
          ],
          0.5,
        ),
        [19, 16],
        false,
        true,
      ),
      7,
      0.5,
    );
    expectMapEquals(map, x, expected);
  });

  it("a step's view (Lucid's standard transforms, then the resize) equals TF.js' for the same seed", () => {
    const image = random([1, 40, 40, 3], 2);
    const specs = standardTransforms(40);
    const transform = compose(...specs.map(fromSpec));
    for (const seed of [0, 1, 2, 3, 4]) {
      const maps = viewMaps(specs, [40, 40], [40, 40], createRng(seed));
      expect(maps.length).toBeLessThanOrEqual(4);
      maps.forEach((m) => expect(m.taps).toBeLessThanOrEqual(4));
      const seen = transform(image, createRng(seed));
      const expected = tf.image.resizeBilinear(seen, [40, 40], false, true);
      let data = image.dataSync() as Float32Array;
      for (const map of maps) data = applyMap(map, data, 1, 3);
      expect(relativeError(data, expected.dataSync())).toBeLessThan(1e-5);
    }
  });

  it('the transposed map is the gradient: brute force, and tf.grad through resize and rotate', () => {
    const map = composeMaps(resizeMap(13, 11, 16, 14), rotateMap(16, 14, -8, 0.5));
    const t = transposeMap(map);
    // The transpose has no constant: it maps output gradients to input gradients.
    expect(Array.from(t.constant).every((v) => v === 0)).toBe(true);
    const dy = random([2, 16, 14, 3], 3);
    const gradient = applyMap(t, dy.dataSync() as Float32Array, 2, 3);
    // Brute force: the map is affine, so d<dy, map(x)>/dx_i = <dy, map(x + e_i) - map(x)>.
    const base = x.dataSync() as Float32Array;
    const seed = dy.dataSync();
    const at = applyMap(map, base, 2, 3);
    const brute = new Float32Array(base.length);
    for (let i = 0; i < base.length; i += 7) {
      const moved = base.slice();
      moved[i] += 1;
      const out = applyMap(map, moved, 2, 3);
      brute[i] = out.reduce((s, v, j) => s + (v - at[j]) * seed[j], 0);
    }
    const sampled = (values: ArrayLike<number>) => Array.from(values).filter((_, i) => i % 7 === 0);
    expect(relativeError(sampled(gradient), sampled(brute))).toBeLessThan(1e-5);
    const viaTf = tf.grad((im: tf.Tensor) =>
      tf.sum(tf.mul(rotate(resize(im as tf.Tensor4D, [16, 14]), -8, 0.5), dy)),
    )(x);
    expect(relativeError(gradient, viaTf.dataSync())).toBeLessThan(1e-5);
  });

  it("tfjs' own ResizeBilinearGrad is wrong with half-pixel centres (why resize exists)", () => {
    const dy = random([2, 16, 16, 3], 6);
    const square = random([2, 13, 13, 3], 7);
    const stock = tf.grad((im: tf.Tensor) =>
      tf.sum(tf.mul(tf.image.resizeBilinear(im as tf.Tensor4D, [16, 16], false, true), dy)),
    )(square);
    const ours = tf.grad((im: tf.Tensor) =>
      tf.sum(tf.mul(resize(im as tf.Tensor4D, [16, 16]), dy)),
    )(square);
    // If tfjs fixes its kernel this fails, and `resize` can go back to the stock op.
    expect(relativeError(stock.dataSync(), ours.dataSync())).toBeGreaterThan(0.01);
  });
});

describe('preprocessAffine', () => {
  it.each(['caffe', 'torch', 'tf', 'none'] as const)('equals toModelInput for %s', (mode) => {
    const spec: InputSpec = { height: 4, width: 5, channels: 3, range: [-2, 3], preprocess: mode };
    const x = random([2, 4, 5, 3], 4);
    const { matrix, bias } = preprocessAffine(spec);
    const pixels = x.dataSync();
    const out = new Float32Array(pixels.length);
    for (let p = 0; p < pixels.length; p += 3) {
      for (let i = 0; i < 3; i++) {
        out[p + i] = bias[i] + [0, 1, 2].reduce((s, j) => s + matrix[i][j] * pixels[p + j], 0);
      }
    }
    expect(relativeError(out, toModelInput(x, spec).dataSync())).toBeLessThan(1e-6);
  });
});
