/**
 * `node --import tsx scripts/rim-probe.ts [--out F.png]`: where the rim of issue 16 comes from,
 * on the embedded model's block1_conv2 filters 0-7 (the units that draw it). Two probes:
 * (1) how much gradient each image pixel gets under a preset's views (the expected |gradient|
 * of the filters' channel means over 128 random views of a grey image with noise, per ring of
 * pixels from the border, relative to the inside 16 x 16), on the model and on the same model
 * with its zero moved to mid grey; (2) the `lucid` preset (seed 1) maximizing each channel's
 * mean over all positions and over the positions at least M px from the border only, with each
 * tile's rim contrast (image-stats.ts) and a figure of the tiles. Markdown tables to stdout.
 */
import * as tf from '@tensorflow/tfjs';
import { rimContrast } from '../src/core/evaluation/image-stats.js';
import { rgbaFromFloats } from '../src/core/image/rgba.js';
import { VisModel } from '../src/core/models/vis-model.js';
import type { Objective } from '../src/core/objectives/objective.js';
import { maximize } from '../src/core/optimize/maximize.js';
import { getPreset } from '../src/core/optimize/presets.js';
import { createRng } from '../src/core/optimize/rng.js';
import { lastResult } from '../src/core/run/last-result.js';
import { resize } from '../src/core/transforms/affine-sample.js';
import { compose, fromSpec, standardTransforms } from '../src/core/transforms/transforms.js';
import type { TransformSpec } from '../src/core/transforms/transforms.js';
import { writeBytesAtomic } from '../src/node/atomic-write.js';
import { initBackend } from '../src/node/backend.js';
import { createEngine } from '../src/node/engine.js';
import { renderGridPng, type GridTile } from '../src/node/grid-png.js';
import { openModel } from '../src/node/open-model.js';

const LAYER = 'block1_conv2';
const SIDE = 28;

/** The model seeing x - 0.5, its first convolution's bias raised to match (compare-presets). */
function greyZero(model: VisModel): VisModel {
  const conv = model.model.layers.find((l) => l.getClassName() === 'Conv2D')!;
  const [kernel, bias] = conv.getWeights();
  conv.setWeights([kernel, bias.add(kernel.sum([0, 1, 2]).mul(0.5))]);
  return new VisModel(model.model, { name: model.name, input: { range: [-0.5, 0.5] } });
}

/** Mean |gradient| per pixel [SIDE][SIDE] of filter i's channel mean for image i, over views. */
async function coverage(model: VisModel, specs: TransformSpec[]): Promise<number[][]> {
  const transform = compose(...specs.map(fromSpec));
  const rng = createRng(7);
  let sum = tf.zeros([SIDE, SIDE]);
  for (let v = 0; v < 128; v++) {
    const next = tf.tidy(() => {
      const x = tf.add(0.5, tf.randomNormal([8, SIDE, SIDE, 1], 0, 0.05, 'float32', v));
      const score = (image: tf.Tensor) => {
        let view = transform(image as tf.Tensor4D, rng);
        if (view.shape[1] !== SIDE) view = resize(view, [SIDE, SIDE]);
        const means = tf.mean(model.activations(view, [LAYER])[LAYER], [1, 2]) as tf.Tensor2D;
        return tf.sum(tf.mul(means, tf.oneHot(tf.range(0, 8, 1, 'int32'), means.shape[1])));
      };
      return tf.add(sum, tf.mean(tf.abs(tf.grad(score)(x)), [0, 3]));
    });
    sum.dispose();
    sum = next;
  }
  const out = (await sum.array()) as number[][];
  sum.dispose();
  return out;
}

function coverageRow(name: string, a: number[][]): string {
  let inside = 0;
  for (let y = 6; y < 22; y++) for (let x = 6; x < 22; x++) inside += a[y][x] / 256;
  const ring = (d: number) => {
    const values = a.flatMap((row, y) =>
      row.filter((_, x) => Math.min(y, x, SIDE - 1 - y, SIDE - 1 - x) === d),
    );
    return (values.reduce((s, v) => s + v, 0) / values.length / inside).toFixed(2);
  };
  return `| ${name} | ${[0, 1, 2, 3].map(ring).join(' | ')} | ${(a[0][0] / inside).toFixed(2)} |`;
}

/** Filter k's channel mean over the positions at least `margin` px from the border. */
const inside = (k: number, margin: number): Objective => ({
  description: `${LAYER}:${k} inside ${margin}`,
  layers: [LAYER],
  targets: [{ layer: LAYER, channel: k }],
  score: (acts) => {
    const [, h, w] = acts[LAYER].shape;
    const size = [-1, h - 2 * margin, w - 2 * margin, 1];
    return tf.mean(tf.slice(acts[LAYER], [0, margin, margin, k], size), [1, 2, 3]) as tf.Tensor1D;
  },
});

async function main(): Promise<void> {
  await initBackend('wasm');
  const views: [string, TransformSpec[]][] = [
    ['no transforms', []],
    ['lucid', standardTransforms(SIDE)],
    [
      'lucid, pad 0',
      standardTransforms(SIDE).map((t) => (t.kind === 'pad' ? { ...t, value: 0 } : t)),
    ],
    ['lucid-exact', getPreset('lucid-exact').settings.transforms as TransformSpec[]],
  ];
  const lines = [
    '| model, views | ring 0 | ring 1 | ring 2 | ring 3 | corner |',
    '|---|---:|---:|---:|---:|---:|',
  ];
  for (const grey of [false, true]) {
    const base = await openModel({ model: 'embedded' });
    const model = grey ? greyZero(base) : base;
    for (const [name, specs] of views) {
      lines.push(
        coverageRow(`${grey ? 'zero at grey' : 'embedded'}, ${name}`, await coverage(model, specs)),
      );
    }
    model.dispose();
  }
  const model = await openModel({ model: 'embedded' });
  const engine = await createEngine(model, 'onnx');
  const tiles: GridTile[] = [];
  lines.push(
    '',
    '| objective over | 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const margin of [0, 2, 4]) {
    const objectives = Array.from({ length: 8 }, (_, k) => inside(k, margin));
    const settings = getPreset('lucid').settings;
    const { best } = await lastResult(maximize(model, objectives, settings, { seed: 1, engine }));
    const size = SIDE * SIDE;
    const images = Array.from({ length: 8 }, (_, i) =>
      best.data.subarray(i * size, (i + 1) * size),
    );
    const rims = images.map((values) => rimContrast(values, SIDE, SIDE, 1));
    lines.push(
      `| positions >= ${margin} px from the border | ${rims.map((r) => r.toFixed(2)).join(' | ')} |`,
    );
    images.forEach((values, i) =>
      tiles.push({
        image: rgbaFromFloats(values, SIDE, SIDE, 1),
        label: `${i} rim ${rims[i].toFixed(2)}`,
      }),
    );
  }
  engine.dispose();
  process.stdout.write(`${lines.join('\n')}\n`);
  const out = process.argv[process.argv.indexOf('--out') + 1];
  if (process.argv.includes('--out')) {
    const title = `${LAYER} 0-7, lucid, seed 1: channel mean over all positions / >= 2 px / >= 4 px from the border`;
    const rowLabels = ['all', 'inside 2', 'inside 4'];
    await writeBytesAtomic(
      out,
      await renderGridPng(tiles, { columns: 8, scale: 4, title, rowLabels }),
    );
  }
}

await main();
