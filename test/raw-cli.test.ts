/**
 * `--raw DIR` through the compiled CLI on the embedded model: `maps` writes whole-layer
 * activations equal to a plain TF.js forward pass of the committed model, `attribute` writes
 * the values the library's `attribute()` returns (Grad-CAM's map before upsampling too), and
 * `filters`/`classes` write the float images that their PNGs quantize, from this thread and
 * from worker threads; each file is recorded in the `--json` output.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attribute, type AttributionMethod } from '../src/core/methods/attribution.js';
import { initBackend } from '../src/node/backend.js';
import { loadImage } from '../src/node/images.js';
import { loadLayersModel } from '../src/node/load-layers-model.js';
import { readNpy } from '../src/node/npy.js';
import { openModel } from '../src/node/open-model.js';
import type { Manifest } from '../src/node/visualize.js';
import { cli } from './helpers/cli.js';
import { relativeError } from './helpers/random.js';

const IMAGE = path.resolve('samples/fashion-mnist/0000-ankle-boot.png');
let dir: string;

beforeAll(async () => {
  await initBackend('wasm');
  dir = await mkdtemp(path.join(tmpdir(), 'convscope-raw-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Gray pixels of a PNG the CLI wrote (nearest-upscaled by `scale`), sampled back to `size`. */
async function pngPixels(file: string, size: number): Promise<number[]> {
  const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
  const scale = info.width / size;
  expect(Number.isInteger(scale)).toBe(true);
  const out: number[] = [];
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++)
      out.push(data[(y * scale * info.width + x * scale) * info.channels]);
  }
  return out;
}

/** The 8-bit value a float in [0, 1] quantizes to. */
const byte = (v: number) => Math.round(Math.min(1, Math.max(0, v)) * 255);

describe('maps --raw', () => {
  it('writes every channel of each layer, equal to a plain TF.js forward pass', async () => {
    const raw = path.join(dir, 'maps-raw');
    const layers = ['block1_conv1', 'block2_conv1'];
    const { code, stdout, stderr } = await cli(
      'maps',
      '--image',
      IMAGE,
      '--layer',
      layers.join(','),
      '--channels',
      '0-1',
      '--out',
      path.join(dir, 'maps.png'),
      '--raw',
      raw,
      '--json',
    );
    expect(code, stderr).toBe(0);
    const result = JSON.parse(stdout) as {
      layers: { name: string; raw: string; channels: { index: number; mean: number }[] }[];
    };
    expect(result.layers.map((l) => l.raw)).toEqual(layers.map((l) => path.join(raw, `${l}.npy`)));
    expect((await readdir(raw)).sort()).toEqual(layers.map((l) => `${l}.npy`));

    // Independent reference: the committed model.json through tf.loadLayersModel, the PNG
    // decoded by sharp and scaled to [0, 1] (the embedded model's input range).
    const model = await loadLayersModel(path.resolve('models/embedded/model.json'));
    const gray = await sharp(IMAGE).greyscale().raw().toBuffer();
    const input = tf.tensor4d(
      Float32Array.from(gray, (v) => v / 255),
      [1, 28, 28, 1],
    );
    const probe = tf.model({
      inputs: model.inputs,
      outputs: layers.map((l) => model.getLayer(l).output as tf.SymbolicTensor),
    });
    const expected = probe.predict(input) as tf.Tensor[];
    for (const [i, layer] of result.layers.entries()) {
      const { values, shape } = await readNpy(layer.raw);
      expect(shape).toEqual(expected[i].shape);
      expect(shape[3]).toBe(i === 0 ? 16 : 32); // all channels, not just --channels 0-1
      expect(relativeError(values, await expected[i].data())).toBeLessThan(1e-5);
      // The JSON's channel means come from the same array.
      const c = layer.channels[1].index;
      let sum = 0;
      for (let p = c; p < values.length; p += shape[3]) sum += values[p];
      expect(layer.channels[1].mean).toBeCloseTo(sum / (values.length / shape[3]), 5);
    }
    tf.dispose([input, ...expected]);
    model.dispose();
  });
});

describe('attribute --raw', () => {
  it("writes each method's values as the library's attribute() computes them", async () => {
    const raw = path.join(dir, 'attribute-raw');
    const runs = [
      { args: ['--class', '3'], methods: ['saliency', 'guided', 'gradcam'], target: 'class-3' },
      {
        args: ['--layer', 'block2_conv1', '--filter', '5'],
        methods: ['deconvnet'],
        target: 'block2_conv1-5',
      },
    ];
    const model = await openModel({ model: 'embedded', quiet: true });
    const image = tf.tensor3d(await loadImage(IMAGE, model.input, 'cover'), [28, 28, 1]);
    for (const run of runs) {
      const { code, stdout, stderr } = await cli(
        'attribute',
        '--image',
        IMAGE,
        '--method',
        run.methods.join(','),
        ...run.args,
        '--out',
        path.join(dir, `${run.target}.png`),
        '--raw',
        raw,
        '--json',
      );
      expect(code, stderr).toBe(0);
      const parsed = JSON.parse(stdout) as unknown;
      const results = (Array.isArray(parsed) ? parsed : [parsed]) as {
        method: AttributionMethod;
        raw: string;
        rawCam?: string;
        camLayer?: string;
      }[];
      for (const result of results) {
        expect(result.raw).toBe(path.join(raw, `${result.method}-${run.target}.npy`));
        const target =
          run.target === 'class-3'
            ? ({ kind: 'class', index: 3 } as const)
            : ({ kind: 'unit', layer: 'block2_conv1', channel: 5 } as const);
        const expected = await attribute(model, image, result.method, target);
        const { values, shape } = await readNpy(result.raw);
        expect(shape).toEqual([1, ...expected.shape]);
        expect(relativeError(values, expected.values)).toBeLessThan(1e-5);
        if (result.method === 'gradcam') {
          expect(shape).toEqual([1, 28, 28, 1]);
          expect(result.rawCam).toBe(
            path.join(raw, `gradcam-class-3-cam-${expected.camLayer}.npy`),
          );
          const cam = await readNpy(result.rawCam!);
          expect(cam.shape).toEqual([1, expected.cam!.height, expected.cam!.width, 1]);
          expect(cam.shape[1]).toBeLessThan(28);
          expect(relativeError(cam.values, expected.cam!.values)).toBeLessThan(1e-5);
        } else {
          expect(result.rawCam).toBeUndefined();
        }
      }
    }
    expect((await readdir(raw)).length).toBe(5);
    image.dispose();
    model.dispose();
  });
});

describe('filters --raw and classes --raw', () => {
  for (const workers of ['1', '2']) {
    it(`writes the float images the PNGs quantize (--workers ${workers})`, async () => {
      const out = path.join(dir, `filters-${workers}`);
      const raw = path.join(dir, `filters-raw-${workers}`);
      const { code, stdout, stderr } = await cli(
        'filters',
        '--layer',
        'block2_conv1',
        '--filters',
        '0-3',
        '--steps',
        '4',
        '--history',
        '2',
        '--workers',
        workers,
        '--out',
        out,
        '--raw',
        raw,
        '--json',
      );
      expect(code, stderr).toBe(0);
      const manifest = JSON.parse(stdout) as Manifest;
      expect(manifest.workers).toBe(Number(workers));
      for (const item of manifest.items) {
        const stem = `block2_conv1_${item.index}`;
        expect(item.raw).toBe(path.join(raw, `${stem}.npy`));
        const frames = [
          { npy: item.raw!, png: path.join(out, item.file) },
          ...item.history!.map((h) => ({ npy: h.raw!, png: path.join(out, h.file) })),
        ];
        expect(item.history!.map((h) => h.raw)).toEqual(
          item.history!.map((h) =>
            path.join(raw, 'history', `${stem}_step${String(h.step).padStart(5, '0')}.npy`),
          ),
        );
        for (const frame of frames) {
          const { values, shape } = await readNpy(frame.npy);
          expect(shape).toEqual([1, 28, 28, 1]);
          // Not already 8-bit: some value lies strictly between two quantization levels.
          expect(values.some((v) => Math.abs(v * 255 - Math.round(v * 255)) > 1e-3)).toBe(true);
          expect(Array.from(values, byte)).toEqual(await pngPixels(frame.png, 28));
        }
      }
    });
  }

  it('classes --raw writes one array per class, recorded in the manifest', async () => {
    const out = path.join(dir, 'classes');
    const raw = path.join(dir, 'classes-raw');
    const { code, stdout, stderr } = await cli(
      'classes',
      '--class',
      '0,7',
      '--steps',
      '2',
      '--out',
      out,
      '--raw',
      raw,
      '--json',
    );
    expect(code, stderr).toBe(0);
    const manifest = JSON.parse(stdout) as Manifest;
    for (const item of manifest.items) {
      expect(item.raw).toBe(path.join(raw, item.file.replace(/\.png$/, '.npy')));
      const { values, shape } = await readNpy(item.raw!);
      expect(shape).toEqual([1, 28, 28, 1]);
      expect(Array.from(values, byte)).toEqual(await pngPixels(path.join(out, item.file), 28));
    }
  });
});
