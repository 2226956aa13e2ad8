/**
 * `npm run bench [-- --json] [-- --case NAME ...]`: measures convscope's hot paths and, in the same
 * run, the stock-tfjs figure each one improves on, so BENCHMARKS.md can record ratios.
 *
 * Cases (VGG16 with random weights: no download needed):
 * - vgg16-block5_conv3-128: ms per activation-maximization gradient step (one filter, 128 px,
 *   input gradient of the channel mean at block5_conv3), fast conv gradients vs tfjs' own.
 * - vgg16-block3_conv1-128: the same to block3_conv1.
 * - embedded-step: steps/s of the whole activation-maximization loop (lucid preset: Fourier
 *   parameterization, transforms, Adam) on the embedded model, one filter of block3_conv2;
 *   runs of 128 steps (TF.js) and 512 (ONNX Runtime, the default run's length), each after a
 *   warm-up run of the same length: shorter ones swung by a third from run to run.
 * - am-vgg16-128, am-vgg16-224: the same loop on VGG16 (random weights), block5_conv3.
 * - vgg16-block5_conv3-224: the bare gradient step of the first case at 224 px.
 * - vgg16-scan-224: forward images/s to block5_pool (the top-9 scan workload), batch 8, on the
 *   whole machine (one worker thread per core, as `patches --workers` runs), vs tfjs' own
 *   LayersModel.predict of a sub-model in one thread. `vgg16-scan-224-1thread`: ours, one thread.
 * - vgg16-layer-64x128: 64 filters of block3_conv1 at 128 px, 64 steps each (lucid preset),
 *   filters finished per minute on the whole machine (worker pool, batch size picked by
 *   measurement), vs stock tfjs in one thread (timed on 2 steps of a batch, per item-step).
 *
 * - queue-overhead, queue-scan-scaling: `--queue` on this machine (bench/queue.ts): shards on
 *   BullMQ worker processes against local worker threads, and a scan on 1, 2, 3 processes.
 *
 * Every case is measured on both engines: `value` is TF.js (WASM), `onnx` is ONNX Runtime
 * (onnxruntime-node, every core as intra-op threads; the same work through the engine seam).
 *
 * With PyTorch importable (`apt-get install python3-torch`; /usr/bin/python3 is tried when the
 * first python3 lacks it), bench/pytorch_reference.py runs the same work and each result gets
 * a `pytorch` figure; cases it does not cover are left without one.
 */
import * as tf from '@tensorflow/tfjs';
import { buildVgg } from '../src/core/models/architectures/vgg.js';
import { VisModel } from '../src/core/models/vis-model.js';
import {
  clearGradientCache,
  useFastGradients,
  useStockGradients,
} from '../src/core/kernel-patches/register.js';
import { channel } from '../src/core/objectives/objective.js';
import { maximize } from '../src/core/optimize/maximize.js';
import { lastResult } from '../src/core/run/last-result.js';
import { getPreset } from '../src/core/optimize/presets.js';
import { applyOverrides } from '../src/core/optimize/setting-options.js';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../src/node/backend.js';
import { chooseBatchSize, stepMs } from '../src/node/batch-size.js';
import { maximizeOnPool } from '../src/node/maximize-pool.js';
import { defaultPoolSize, runPool, siblingScript } from '../src/node/worker-pool.js';
import type { ScanTask } from './scan-worker.js';
import { openModel } from '../src/node/open-model.js';
import type { NetworkEngine } from '../src/core/engines/network-engine.js';
import type { ObjectiveSpec } from '../src/core/objectives/objective-spec.js';
import type { OptimizationSettings } from '../src/core/optimize/settings.js';
import { machineCores } from '../src/node/engine.js';
import { OnnxEngine } from '../src/node/onnx/onnx-engine.js';
import { queueOverheadCase, queueScanScalingCase, type QueueResult } from './queue.js';

interface Result {
  case: string;
  /** TF.js (WASM). */
  value: number;
  unit: string;
  /** The ONNX Runtime engine. */
  onnx?: number;
  stockTfjs?: number;
  pytorch?: number;
}

const onnxEngine = (model: VisModel) => OnnxEngine.create(model, { threads: machineCores() });

/** ms of one input-gradient call of the ONNX engine: the mean of channel 0 of `layer`, one image. */
async function onnxStepMs(model: VisModel, layer: string, size: number): Promise<number> {
  const engine = await onnxEngine(model);
  const shape = model.layer(layer).outputShape as number[];
  const [h, w, c] = shape;
  const seed = new Float32Array(h * w * c);
  for (let i = 0; i < h * w; i++) seed[i * c] = 1 / (h * w);
  const input = {
    data: Float32Array.from({ length: size * size * 3 }, (_, i) => ((i * 7919) % 255) - 120),
    shape: [1, size, size, 3],
  };
  const request = {
    input,
    seeds: { [layer]: { data: seed, shape: [1, ...shape] } },
    rule: 'gradient' as const,
  };
  for (let i = 0; i < 2; i++) await engine.vjp(request);
  const repeats = 5;
  const start = performance.now();
  for (let i = 0; i < repeats; i++) await engine.vjp(request);
  engine.dispose();
  return (performance.now() - start) / repeats;
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
  const onnx = await onnxStepMs(model, layer, size);
  model.dispose();
  return { case: name, value: fast, unit: 'ms/step', onnx, stockTfjs: stock };
}

/** Steps per second of `maximize` (lucid preset) for one filter, fast and stock gradients. */
async function maximizeCase(
  name: string,
  model: VisModel,
  layer: string,
  steps: number,
  stockSteps: number,
  onnxSteps = steps * 2,
): Promise<Result> {
  const rate = async (count: number, engine?: NetworkEngine) => {
    const settings = applyOverrides(getPreset('lucid').settings, { steps: count });
    const { seconds } = await lastResult(
      maximize(model, [channel(layer, 0)], settings, {
        seed: 1,
        // A 512-step run's schedule: a frame and a best-iterate measurement every 16 steps.
        frameEvery: 16,
        bestEvery: 16,
        engine,
      }),
    );
    return count / seconds;
  };
  // Warm-up runs as long as the timed ones: below 128 px the transforms shrink over the run,
  // and each new view size is a first use (kernel plans, ONNX Runtime shapes) worth timing out.
  useFastGradients();
  await rate(steps);
  const fast = await rate(steps);
  useStockGradients();
  const stock = await rate(stockSteps);
  useFastGradients();
  clearGradientCache();
  const engine = await onnxEngine(model);
  await rate(onnxSteps, engine);
  const onnx = await rate(onnxSteps, engine);
  engine.dispose();
  model.dispose();
  return { case: name, value: fast, unit: 'steps/s', onnx, stockTfjs: stock };
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
  const onnx = await onnxScanRate(model, input);
  tf.dispose([images, input]);
  model.dispose();
  return { case: name, value: ours, unit: 'images/s', onnx, stockTfjs: stock };
}

/** images/s of the ONNX engine's forward pass to block5_pool, one process, every core. */
async function onnxScanRate(model: VisModel, input: tf.Tensor4D): Promise<number> {
  const engine = await onnxEngine(model);
  const batch = { data: input.dataSync() as Float32Array, shape: [...input.shape] };
  await engine.activations(batch, ['block5_pool']);
  const repeats = 3;
  const start = performance.now();
  for (let i = 0; i < repeats; i++) await engine.activations(batch, ['block5_pool']);
  engine.dispose();
  return (input.shape[0] * repeats) / ((performance.now() - start) / 1000);
}

/** images/s with one worker per core, each scanning its own batches (summed rates). */
async function scanPoolRate(size: number, batch: number): Promise<number> {
  const workers = defaultPoolSize();
  const tasks: ScanTask[] = Array.from({ length: workers }, () => ({ size, batch, repeats: 3 }));
  let total = 0;
  for await (const event of runPool<ScanTask, number>(tasks, {
    script: siblingScript(import.meta.url, 'scan-worker'),
    size: workers,
  })) {
    if (event.type === 'result') total += event.value;
    else if (event.type === 'failed') throw new Error(event.error);
  }
  return total;
}

async function layerCase(name: string, filters: number, steps: number): Promise<Result> {
  const size = 128;
  const layer = 'block3_conv1';
  const settings = applyOverrides(getPreset('lucid').settings, { steps, size });
  const specs = Array.from({ length: filters }, (_, channel) => ({
    kind: 'channel' as const,
    layer,
    channel,
  }));
  const model = vgg16(size);
  const onnxWorkers = Number(process.env.CONVSCOPE_BENCH_ONNX_WORKERS ?? defaultPoolSize());
  const onnx = await poolLayerRate(name, model, specs, settings, 'onnx', onnxWorkers);
  const { rate, batch } = await poolLayerRate(
    name,
    model,
    specs,
    settings,
    'tfjs',
    defaultPoolSize(),
  );
  // Stock tfjs, one thread, the batch size that suits it best among ours: per item-step.
  useStockGradients();
  const stockMs = (await stepMs(model, specs.slice(0, batch), settings)) / batch;
  useFastGradients();
  clearGradientCache();
  model.dispose();
  return {
    case: name,
    value: rate,
    unit: 'filters/min',
    onnx: onnx.rate,
    stockTfjs: 60_000 / (stockMs * steps),
  };
}

/**
 * filters/min as `filters --engine E --batch auto` runs the case: one worker per core (each
 * with its own TF.js image side and, on ONNX Runtime, its share of the threads), batches of
 * the size measured fastest on one worker's thread. `CONVSCOPE_BENCH_ONNX_WORKERS=1` measures
 * ONNX Runtime with every core in one worker instead.
 */
async function poolLayerRate(
  name: string,
  model: VisModel,
  specs: ObjectiveSpec[],
  settings: OptimizationSettings,
  engineName: 'tfjs' | 'onnx',
  workers: number,
): Promise<{ rate: number; batch: number }> {
  const threads = Math.max(1, Math.floor(machineCores() / workers));
  const engine = engineName === 'onnx' ? await OnnxEngine.create(model, { threads }) : undefined;
  const largest = Math.ceil(specs.length / workers);
  const { batch, measured } = await chooseBatchSize(model, specs, settings, largest, engine);
  engine?.dispose();
  process.stderr.write(
    `${name} (${engineName}): batch ${batch} (ms per item-step: ${measured.map((m) => `${m.batch}: ${m.ms.toFixed(0)}`).join(', ')}), ${workers} workers x ${threads} threads\n`,
  );
  const result = await maximizeOnPool({
    specs,
    settings,
    seed: 0,
    history: 0,
    // Frames and best-iterate measurements (a measured forward pass each) every 16 steps, as
    // in a 512-step run: 64-step runs stand in for real ones here, and PyTorch's side measures
    // none.
    frameEvery: 16,
    bestEvery: 16,
    workers,
    batchSize: batch,
    workerData: {
      model: { model: 'vgg16-notop', weights: 'none' },
      backend: 'wasm',
      size: model.input.height,
      engine: engineName,
      threads,
    },
  });
  return { rate: specs.length / (result.seconds / 60), batch };
}

/** The first python3 that imports torch, or null. */
function pythonWithTorch(): string | null {
  for (const python of ['python3', '/usr/bin/python3']) {
    const probe = spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' });
    if (probe.status === 0) return python;
  }
  return null;
}

/** PyTorch figures for the cases it covers (none when torch is not importable). */
function pytorchFigures(names: string[]): Map<string, number> {
  const python = pythonWithTorch();
  const figures = new Map<string, number>();
  if (!python) return figures;
  const script = fileURLToPath(new URL('./pytorch_reference.py', import.meta.url));
  const run = spawnSync(python, [script, ...names.flatMap((n) => ['--case', n])], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (run.status !== 0) throw new Error(`${script} failed (exit ${run.status})`);
  for (const row of JSON.parse(run.stdout) as { case: string; value: number }[]) {
    figures.set(row.case, row.value);
  }
  return figures;
}

/** How many times better `ours` is than `other` (units where lower is better are inverted). */
function better(unit: string, ours: number, other: number): number {
  return unit === 'ms/step' ? other / ours : ours / other;
}

// Both scan cases need the one-thread figures (ours and stock predict): measure them once.
let oneThreadScanRun: Promise<Result> | undefined;
const oneThreadScan = () => (oneThreadScanRun ??= scanCase('vgg16-scan-224-1thread', 224, 8));

/** A queue case, its figures on stderr (and in `--json`'s `details`). */
async function queueCase(run: () => Promise<QueueResult>): Promise<Result> {
  const result = await run();
  for (const [key, value] of Object.entries(result.details)) {
    process.stderr.write(`${result.case} ${key}: ${value.toFixed(2)}\n`);
  }
  return result;
}

const CASES: Record<string, () => Promise<Result>> = {
  'queue-overhead': () => queueCase(queueOverheadCase),
  'queue-scan-scaling': () => queueCase(queueScanScalingCase),
  'vgg16-block5_conv3-224': () => gradientStepCase('vgg16-block5_conv3-224', 'block5_conv3', 224),
  'vgg16-scan-224': async () => {
    const single = await oneThreadScan();
    return { ...single, case: 'vgg16-scan-224', value: await scanPoolRate(224, 8) };
  },
  'vgg16-scan-224-1thread': async () => ({
    ...(await oneThreadScan()),
    case: 'vgg16-scan-224-1thread',
  }),
  'vgg16-layer-64x128': () => layerCase('vgg16-layer-64x128', 64, 64),
  'embedded-step': async () =>
    maximizeCase('embedded-step', await openModel({}), 'block3_conv2', 128, 32, 512),
  'am-vgg16-128': async () => maximizeCase('am-vgg16-128', vgg16(128), 'block5_conv3', 6, 2),
  'am-vgg16-224': async () => maximizeCase('am-vgg16-224', vgg16(224), 'block5_conv3', 3, 1),
  'vgg16-block5_conv3-128': () => gradientStepCase('vgg16-block5_conv3-128', 'block5_conv3', 128),
  'vgg16-block3_conv1-128': () => gradientStepCase('vgg16-block3_conv1-128', 'block3_conv1', 128),
};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  // `--case NAME` (repeatable) picks cases; default: all but the queue cases (they need redis-server).
  const picked = args.flatMap((a, i) => (a === '--case' ? [args[i + 1]] : []));
  const names =
    picked.length > 0 ? picked : Object.keys(CASES).filter((n) => !n.startsWith('queue-'));
  for (const name of names) {
    if (!CASES[name])
      throw new Error(`unknown case '${name}'; cases: ${Object.keys(CASES).join(', ')}`);
  }
  const backend = await initBackend(args.includes('--cpu') ? 'cpu' : 'wasm');
  const results: Result[] = [];
  for (const name of names) results.push(await CASES[name]());
  const pytorch = pytorchFigures(names);
  for (const result of results) {
    const figure = pytorch.get(result.case);
    if (figure !== undefined) result.pytorch = figure;
    if (json) continue;
    // Each engine's figure, with how many times better it is than each reference.
    const line = (engine: string, value: number, references: [string, number | undefined][]) =>
      `${result.case} [${engine}]: ${value.toFixed(2)} ${result.unit}` +
      references
        .filter(([, other]) => other !== undefined)
        .map(
          ([label, other]) =>
            `  ${label} ${other!.toFixed(2)} (${better(result.unit, value, other!).toFixed(2)}x)`,
        )
        .join('') +
      '\n';
    process.stdout.write(
      line(backend, result.value, [
        ['stock tfjs', result.stockTfjs],
        ['pytorch', result.pytorch],
      ]),
    );
    if (result.onnx !== undefined) {
      process.stdout.write(
        line('onnx', result.onnx, [
          ['tfjs', result.value],
          ['pytorch', result.pytorch],
        ]),
      );
    }
  }
  if (json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
}

await main();
