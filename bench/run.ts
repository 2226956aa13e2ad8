/**
 * `npm run bench [-- --json] [-- --case NAME]`: measures convscope's hot paths and, in the same
 * run, the stock-tfjs figure each one improves on, so BENCHMARKS.md can record ratios.
 *
 * Cases (VGG16 with random weights: no download needed):
 * - vgg16-block5_conv3-128: ms per activation-maximization gradient step (one filter, 128 px,
 *   input gradient of the channel mean at block5_conv3), fast conv gradients vs tfjs' own.
 * - vgg16-block3_conv1-128: the same to block3_conv1.
 * - embedded-step: steps/s of the whole activation-maximization loop (lucid preset: Fourier
 *   parameterization, transforms, Adam) on the embedded model, one filter of block3_conv2.
 * - am-vgg16-128, am-vgg16-224: the same loop on VGG16 (random weights), block5_conv3.
 * - vgg16-block5_conv3-224: the bare gradient step of the first case at 224 px.
 * - vgg16-scan-224: forward images/s to block5_pool (the top-9 scan workload), batch 8, our
 *   executor vs tfjs' own LayersModel.predict of a sub-model.
 */
import * as tf from '@tensorflow/tfjs';
import { buildVgg } from '../src/core/models/architectures/vgg.js';
import { VisModel } from '../src/core/models/vis-model.js';
import {
  clearGradientCache,
  useFastGradients,
  useStockGradients,
} from '../src/core/gradients/register.js';
import { channel } from '../src/core/objectives/objective.js';
import { maximize } from '../src/core/optimize/maximize.js';
import { getPreset } from '../src/core/optimize/presets.js';
import { applyOverrides } from '../src/core/optimize/setting-options.js';
import { initBackend } from '../src/node/backend.js';
import { openModel } from '../src/node/open-model.js';

interface Result {
  case: string;
  value: number;
  unit: string;
  stockTfjs?: number;
}

function stepTimer(model: VisModel, layer: string, size: number) {
  const image = tf.randomUniform([1, size, size, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  const step = () =>
    tf.tidy(() => {
      const grad = tf.grad((x) => {
        const acts = model.activations(x as tf.Tensor4D, [layer])[layer];
        return tf.mean(tf.slice(acts, [0, 0, 0, 0], [-1, -1, -1, 1]));
      })(image);
      grad.dataSync();
    });
  return (repeats: number, warmup: number): number => {
    for (let i = 0; i < warmup; i++) step();
    const start = performance.now();
    for (let i = 0; i < repeats; i++) step();
    return (performance.now() - start) / repeats;
  };
}

async function gradientStepCase(name: string, layer: string, size: number): Promise<Result> {
  const model = new VisModel(buildVgg('vgg16', { includeTop: false, size, seed: 0 }), {
    input: { preprocess: 'caffe' },
  });
  const time = stepTimer(model, layer, size);
  useFastGradients();
  const fast = time(5, 2);
  useStockGradients();
  const stock = time(2, 1);
  useFastGradients();
  clearGradientCache();
  model.dispose();
  return { case: name, value: fast, unit: 'ms/step', stockTfjs: stock };
}

/** Steps per second of `maximize` (lucid preset) for one filter, fast and stock gradients. */
async function maximizeCase(
  name: string,
  model: VisModel,
  layer: string,
  steps: number,
  stockSteps: number,
): Promise<Result> {
  const rate = async (count: number) => {
    const settings = applyOverrides(getPreset('lucid').settings, { steps: count });
    let seconds = 0;
    for await (const frame of maximize(model, [channel(layer, 0)], settings, {
      seed: 1,
      frameEvery: 16, // as in a 512-step run
    })) {
      if (frame.result) seconds = frame.result.seconds;
    }
    return count / seconds;
  };
  useFastGradients();
  await rate(2);
  const fast = await rate(steps);
  useStockGradients();
  const stock = await rate(stockSteps);
  useFastGradients();
  clearGradientCache();
  model.dispose();
  return { case: name, value: fast, unit: 'steps/s', stockTfjs: stock };
}

const vgg16 = (size: number) =>
  new VisModel(buildVgg('vgg16', { includeTop: false, size, seed: 0 }), {
    input: { preprocess: 'caffe' },
  });

async function scanCase(name: string, size: number, batch: number): Promise<Result> {
  const model = vgg16(size);
  const images = tf.randomUniform([batch, size, size, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
  const rate = (run: () => tf.Tensor, repeats: number) => {
    tf.tidy(() => run().dataSync());
    const start = performance.now();
    for (let i = 0; i < repeats; i++) tf.tidy(() => run().dataSync());
    return (batch * repeats) / ((performance.now() - start) / 1000);
  };
  const ours = rate(
    () => model.activations(images, ['block5_pool'], { inference: true }).block5_pool,
    2,
  );
  const sub = model.subModel(['block5_pool']);
  const input = model.toModelInput(images);
  const stock = rate(() => sub.predict(input) as tf.Tensor, 2);
  tf.dispose([images, input]);
  model.dispose();
  return { case: name, value: ours, unit: 'images/s', stockTfjs: stock };
}

const CASES: Record<string, () => Promise<Result>> = {
  'vgg16-block5_conv3-224': () => gradientStepCase('vgg16-block5_conv3-224', 'block5_conv3', 224),
  'vgg16-scan-224': () => scanCase('vgg16-scan-224', 224, 8),
  'embedded-step': async () =>
    maximizeCase('embedded-step', await openModel({}), 'block3_conv2', 64, 32),
  'am-vgg16-128': async () => maximizeCase('am-vgg16-128', vgg16(128), 'block5_conv3', 6, 2),
  'am-vgg16-224': async () => maximizeCase('am-vgg16-224', vgg16(224), 'block5_conv3', 3, 1),
  'vgg16-block5_conv3-128': () => gradientStepCase('vgg16-block5_conv3-128', 'block5_conv3', 128),
  'vgg16-block3_conv1-128': () => gradientStepCase('vgg16-block3_conv1-128', 'block3_conv1', 128),
};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const caseIndex = args.indexOf('--case');
  const names = caseIndex >= 0 ? [args[caseIndex + 1]] : Object.keys(CASES);
  for (const name of names) {
    if (!CASES[name])
      throw new Error(`unknown case '${name}'; cases: ${Object.keys(CASES).join(', ')}`);
  }
  const backend = await initBackend(args.includes('--cpu') ? 'cpu' : 'wasm');
  const results: Result[] = [];
  for (const name of names) {
    const result = await CASES[name]();
    results.push(result);
    if (!json) {
      const faster =
        result.unit === 'steps/s' || result.unit === 'images/s'
          ? result.value / result.stockTfjs!
          : result.stockTfjs! / result.value;
      const ratio = result.stockTfjs
        ? `  stock tfjs ${result.stockTfjs.toFixed(2)} ${result.unit}  (${faster.toFixed(1)}x faster)`
        : '';
      process.stdout.write(
        `${name} [${backend}]: ${result.value.toFixed(2)} ${result.unit}${ratio}\n`,
      );
    }
  }
  if (json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
}

await main();
