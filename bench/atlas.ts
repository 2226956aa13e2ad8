/**
 * Atlas throughput: units per minute of the atlas's optimization (the part that dominates a
 * build), measured on the first N units of one layer with the batches, workers and preset
 * `convscope atlas` uses (src/node/atlas: `atlasRun`, then `optimizeUnits` per batch, each
 * unit's PNG written at its optimized size into a scratch site). Kernels and the patch scan are
 * left out: they are measured by a full build (README, BENCHMARKS.md).
 *
 *   node --import tsx bench/atlas.ts --model vgg16 --weights none --layer block3_conv1 \
 *     --units 4 --steps 64 --engine onnx
 *
 * Prints one JSON line: units, seconds, units per minute, the same scaled to the preset's full
 * step count (linear in steps: each step costs the same; the per-batch overhead of starting
 * workers is scaled too, so the figure is slightly low), and the bytes a unit's optimized PNG
 * and kernel PNG take (its patches depend on the dataset).
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { getPreset, DEFAULT_PRESET } from '../src/core/optimize/presets.js';
import { writeKernels } from '../src/node/atlas/kernels.js';
import { optimizeUnits } from '../src/node/atlas/optimize.js';
import { atlasRun } from '../src/node/atlas/setup.js';
import { initBackend } from '../src/node/backend.js';
import { checkEngineChoice, createEngine } from '../src/node/engine.js';
import { openModel } from '../src/node/open-model.js';
import { TOOL } from '../src/node/package-info.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'embedded' },
    weights: { type: 'string' },
    layer: { type: 'string' },
    units: { type: 'string', default: '4' },
    steps: { type: 'string' },
    engine: { type: 'string', default: 'auto' },
    workers: { type: 'string' },
    batch: { type: 'string', default: '16' },
    preset: { type: 'string', default: DEFAULT_PRESET },
  },
});

const backend = await initBackend('wasm');
const modelOptions = { model: values.model, weights: values.weights, quiet: true };
const model = await openModel(modelOptions);
const engine = await createEngine(model, checkEngineChoice(values.engine!), {});
const out = await mkdtemp(path.join(tmpdir(), 'convscope-bench-atlas-'));
const batch = Number(values.batch);
const { run, dispose } = await atlasRun({
  model,
  engine,
  backend,
  modelOptions: { model: values.model, weights: values.weights },
  out,
  layers: values.layer,
  preset: values.preset!,
  overrides: { steps: values.steps },
  seed: 0,
  top: 9,
  workers: values.workers === undefined ? undefined : Number(values.workers),
  batch,
  tool: TOOL,
});
const layer = run.layers[0];
const units = Array.from({ length: Number(values.units) }, (_, k) => k);
const started = performance.now();
for (let at = 0; at < units.length; at += batch) {
  await optimizeUnits(run.optimize, layer, units.slice(at, at + batch), out);
}
const seconds = (performance.now() - started) / 1000;
// The site's size per unit: its optimized PNG and its kernel (patches depend on the dataset).
await writeKernels(model, layer, units, out);
const files = await readdir(out, { recursive: true, withFileTypes: true });
let bytes = 0;
for (const f of files) if (f.isFile()) bytes += (await stat(path.join(f.parentPath, f.name))).size;
const steps = run.optimize.settings.steps;
const fullSteps = getPreset(values.preset!).settings.steps;
const perMinute = (units.length / seconds) * 60;
process.stdout.write(
  `${JSON.stringify({
    model: values.model,
    layer,
    engine: engine.name,
    size: run.optimize.model.input.height,
    units: units.length,
    steps,
    workers: run.optimize.workers,
    seconds: Number(seconds.toFixed(1)),
    unitsPerMinute: Number(perMinute.toPrecision(3)),
    bytesPerUnit: Math.round(bytes / units.length),
    [`unitsPerMinuteAt${fullSteps}Steps`]: Number(((perMinute * steps) / fullSteps).toPrecision(3)),
  })}\n`,
);
dispose();
model.dispose();
await rm(out, { recursive: true, force: true });
