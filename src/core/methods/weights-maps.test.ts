import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../node/backend.js';
import { openModel } from '../../node/open-model.js';
import { sequentialModel } from '../../../test/helpers/fixture-models.js';
import { randomArray } from '../../../test/helpers/random.js';
import { VisModel } from '../models/vis-model.js';
import { featureMaps, firstConvOfEachBlock } from './feature-maps.js';
import { parseIndexSpec } from './index-spec.js';
import { diverging } from '../image/colormap.js';
import { filterWeights } from './weights.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const byte = (v: number) => Math.round(Math.min(1, Math.max(0, v)) * 255);
const gray = (data: Uint8ClampedArray) => Array.from(data).filter((_, i) => i % 4 === 0);

describe('filter weights', () => {
  let vis: VisModel;
  beforeAll(() => {
    vis = new VisModel(sequentialModel());
  });
  const kernelOf = (name: string) =>
    vis.model.getLayer(name).getWeights()[0].arraySync() as number[][][][];

  it('the tile of filter k is the kernel min-max normalized (RGB first layer)', async () => {
    const kernel = kernelOf('conv_a'); // 3x3x3x4
    const { tiles, mode, kernelShape } = await filterWeights(vis, 'conv_a', { display: 'minmax' });
    expect(mode).toBe('rgb');
    expect(kernelShape).toEqual([3, 3, 3, 4]);
    expect(tiles).toHaveLength(4);
    for (const tile of tiles) {
      const k = tile.filter;
      const values = kernel.flatMap((row) => row.flatMap((px) => px.map((c) => c[k])));
      const [min, max] = [Math.min(...values), Math.max(...values)];
      const expected: number[] = [];
      for (let p = 0; p < 9; p++) {
        for (let c = 0; c < 3; c++) expected.push(byte((values[p * 3 + c] - min) / (max - min)));
        expected.push(255);
      }
      expect(Array.from(tile.image.data)).toEqual(expected);
    }
  });

  it('deeper kernels: one slice per input channel on the filter scale; shared scale; mean', async () => {
    const kernel = kernelOf('conv_b'); // 3x3x4x6
    const { tiles } = await filterWeights(vis, 'conv_b', { filters: [5], display: 'minmax' });
    expect(tiles.map((t) => t.inputChannel)).toEqual([0, 1, 2, 3]);
    const all = kernel.flatMap((r) => r.flatMap((p) => p.map((c) => c[5])));
    const [min, max] = [Math.min(...all), Math.max(...all)];
    const slice2 = kernel.flatMap((r) => r.map((p) => byte((p[2][5] - min) / (max - min))));
    expect(gray(tiles[2].image.data)).toEqual(slice2);

    const shared = await filterWeights(vis, 'conv_b', {
      filters: [5],
      sharedScale: true,
      display: 'minmax',
    });
    const flat = kernel.flat(3);
    const [smin, smax] = [Math.min(...flat), Math.max(...flat)];
    expect(gray(shared.tiles[2].image.data)).toEqual(
      kernel.flatMap((r) => r.map((p) => byte((p[2][5] - smin) / (smax - smin)))),
    );
    const mean = await filterWeights(vis, 'conv_b', { inputChannels: 'mean' });
    expect(mean.tiles).toHaveLength(6);
  });

  it('signed display (default): zero is the reference, RGB at mid-gray, slices diverging', async () => {
    const rgbKernel = kernelOf('conv_a'); // 3x3x3x4
    const rgb = await filterWeights(vis, 'conv_a', { filters: [1] });
    expect(rgb.display).toBe('signed');
    const values = rgbKernel.flatMap((row) => row.flatMap((px) => px.map((c) => c[1])));
    const m = Math.max(...values.map(Math.abs));
    expect(rgb.limits).toEqual([{ filter: 1, limit: expect.closeTo(m, 6) }]);
    const expected = values.flatMap((v, i) =>
      i % 3 === 2 ? [byte(v / (2 * m) + 0.5), 255] : [byte(v / (2 * m) + 0.5)],
    );
    expect(Array.from(rgb.tiles[0].image.data)).toEqual(expected);

    const kernel = kernelOf('conv_b'); // 3x3x4x6
    const { tiles, limits } = await filterWeights(vis, 'conv_b', { filters: [5] });
    const all = kernel.flatMap((r) => r.flatMap((p) => p.map((c) => c[5])));
    const limit = Math.max(...all.map(Math.abs));
    expect(limits[0].limit).toBeCloseTo(limit, 6);
    const slice2 = kernel.flatMap((r) => r.map((p) => diverging((p[2][5] / limit + 1) / 2)));
    const rgbOf = (data: Uint8ClampedArray) =>
      Array.from({ length: data.length / 4 }, (_, i) =>
        Array.from(data.subarray(i * 4, i * 4 + 3)),
      );
    expect(rgbOf(tiles[2].image.data)).toEqual(slice2);
    // A zero weight would be near-white, the extremes the two dark ends.
    expect(diverging(0.5)).toEqual([247, 247, 247]);

    const shared = await filterWeights(vis, 'conv_b', { sharedScale: true, inputChannels: 'mean' });
    const layerLimit = Math.max(...kernel.flat(3).map(Math.abs));
    expect(shared.shared).toBe(true);
    for (const l of shared.limits) expect(l.limit).toBeCloseTo(layerLimit, 6);
  });

  it('names the problem: out-of-range filter, non-conv layer, unknown layer', async () => {
    await expect(filterWeights(vis, 'conv_a', { filters: [4] })).rejects.toThrow(
      /filter 4 is out of range; layer 'conv_a' has 4 filters \(0-3\)/,
    );
    await expect(filterWeights(vis, 'pool')).rejects.toMatchObject({
      message: expect.stringMatching(/no convolution kernel/),
      hint: expect.stringMatching(/conv_a, conv_b/),
    });
    await expect(filterWeights(vis, 'nope')).rejects.toThrow(/unknown layer 'nope'/);
    expect(() => parseIndexSpec('2-9', 4, 'filter')).toThrow(/filter 9 is out of range/);
    expect(parseIndexSpec('0-2,1,3', 4)).toEqual([0, 1, 2, 3]);
    expect(() => parseIndexSpec('x', 4)).toThrow(/cannot read/);
    expect(() => parseIndexSpec('0,5-2', 8, 'filter')).toThrow(
      /^range 5-2 is backwards; did you mean 2-5\?$/,
    );
    expect(parseIndexSpec('3-3', 8)).toEqual([3]);
  });
});

describe('feature maps', () => {
  it('tiles are the layer output normalized per channel or per layer, without leaks', async () => {
    const vis = new VisModel(sequentialModel(3));
    const image = tf.tensor3d(
      randomArray(12 * 12 * 3, 7).map((v) => (v + 1) / 2),
      [12, 12, 3],
    );
    const before = tf.memory().numTensors;
    const [maps] = await featureMaps(vis, image, ['conv_b'], { channels: { conv_b: [1, 4] } });
    const layerMaps = await featureMaps(vis, image, ['conv_b'], { normalize: 'layer' });
    expect(tf.memory().numTensors).toBe(before);
    const output = vis.activations(image.expandDims(0) as tf.Tensor4D, ['conv_b']).conv_b;
    const values = (output.arraySync() as number[][][][])[0]; // 10x10x6
    expect([maps.height, maps.width]).toEqual([10, 10]);
    for (const channel of maps.channels) {
      const map = values.flatMap((row) => row.map((px) => px[channel.index]));
      const [min, max] = [Math.min(...map), Math.max(...map)];
      expect(channel.max).toBeCloseTo(max, 6);
      expect(channel.mean).toBeCloseTo(map.reduce((a, b) => a + b) / map.length, 6);
      if (max > min)
        expect(gray(channel.image.data)).toEqual(map.map((v) => byte((v - min) / (max - min))));
    }
    const all = values.flat(2);
    const [lmin, lmax] = [Math.min(...all), Math.max(...all)];
    const c3 = values.flatMap((row) => row.map((px) => byte((px[3] - lmin) / (lmax - lmin))));
    expect(gray(layerMaps[0].channels[3].image.data)).toEqual(c3);
    await expect(featureMaps(vis, image, ['flatten'])).rejects.toThrow(/no spatial feature maps/);
  });

  it('the classic preset picks the first conv of each block of the embedded model', async () => {
    const model = await openModel();
    expect(firstConvOfEachBlock(model.layers)).toEqual([
      'block1_conv1',
      'block2_conv1',
      'block3_conv1',
    ]);
  });
});
