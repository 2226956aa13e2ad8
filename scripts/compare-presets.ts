/**
 * `node --import tsx scripts/compare-presets.ts [--models embedded,vgg16,FILE.onnx] [--units N]
 * [--steps N] [--variants 'a;b'] [--json OUT.json]`: the table of issue 16. For each model it
 * optimizes the same units under each variant (presets, and the `lucid` preset with one factor
 * changed at a time) and prints, per variant, the mean saturated fraction, the mean
 * high-frequency fraction (image-stats.ts), the mean objective without and with transforms,
 * and the smallest ratio of a unit's objective to its `lucid-exact` objective (>= 1: at least
 * Lucid's on every unit). Units: the first N channels of three layers per model, all in one
 * batch, so each variant is one optimization; the ONNX engine runs it where it can.
 */
import { writeFile } from 'node:fs/promises';
import type { ImageBatch } from '../src/core/optimize/maximize.js';
import { rgbaFromFloats } from '../src/core/image/rgba.js';
import { writeBytesAtomic } from '../src/node/atomic-write.js';
import { renderGridPng, type GridTile } from '../src/node/grid-png.js';
import { batchStats } from '../src/core/evaluation/image-stats.js';
import { buildVgg } from '../src/core/models/architectures/vgg.js';
import { VisModel } from '../src/core/models/vis-model.js';
import { channel } from '../src/core/objectives/objective.js';
import { maximize } from '../src/core/optimize/maximize.js';
import { getPreset } from '../src/core/optimize/presets.js';
import { lastResult } from '../src/core/run/last-result.js';
import type { OptimizationSettings } from '../src/core/optimize/settings.js';
import { standardTransforms } from '../src/core/transforms/transforms.js';
import { initBackend } from '../src/node/backend.js';
import { createEngine } from '../src/node/engine.js';
import { openModel } from '../src/node/open-model.js';

interface ModelCase {
  name: string;
  open: () => Promise<VisModel>;
  layers: string[];
}

type Variant = { name: string; settings: (side: number) => OptimizationSettings };

const preset = (name: string) => getPreset(name).settings;
const lucidWith = (name: string, change: (s: OptimizationSettings, side: number) => void) => ({
  name,
  settings: (side: number) => {
    const s = preset('lucid');
    change(s, side);
    return s;
  },
});

/** The presets compared, then `lucid` with one factor changed (the ablations). */
export const VARIANTS: Variant[] = [
  { name: 'lucid', settings: () => preset('lucid') },
  { name: 'lucid-exact', settings: () => preset('lucid-exact') },
  // The default until issue 16: the rate scaled up by 128 / side below 128 px.
  lucidWith(
    'lucid, rate x128/side (before)',
    (s, side) => (s.stepRule.lr *= Math.max(1, 128 / side)),
  ),
  lucidWith('lucid, no redirected ReLU', (s) => (s.redirectSteps = 0)),
  lucidWith('lucid, no decorrelation', (s) => {
    if (s.parameterization.kind === 'fourier') s.parameterization.decorrelate = false;
  }),
  lucidWith('lucid, no pad', (s, side) => {
    s.transforms = standardTransforms(side).filter((t) => t.kind !== 'pad');
  }),
  lucidWith('lucid, 256 steps', (s) => (s.steps = 256)),
  { name: 'maco', settings: () => preset('maco') },
  { name: 'yosinski-3', settings: () => preset('yosinski-3') },
];

const MODELS: Record<string, (size: number) => ModelCase> = {
  embedded: () => ({
    name: 'embedded (28 px gray)',
    open: () => openModel({ model: 'embedded' }),
    layers: ['block1_conv2', 'block2_conv2', 'block3_conv2'],
  }),
  vgg16: (size) => ({
    name: `VGG16 random (${size} px)`,
    open: async () =>
      new VisModel(buildVgg('vgg16', { includeTop: false, size, seed: 0 }), {
        input: { preprocess: 'caffe' },
      }),
    layers: ['block1_conv2', 'block2_conv2', 'block3_conv3'],
  }),
};

export interface Row {
  model: string;
  variant: string;
  saturated: number;
  highFrequency: number;
  objective: number;
  objectiveWithTransforms: number;
  /** Per unit: its name (layer:channel) and objective. */
  units: string[];
  scores: number[];
  /** Smallest objective / lucid-exact's over the units where lucid-exact's is above zero. */
  minRatioToExact?: number;
  /** Units whose objective is below lucid-exact's (by more than 1e-6). */
  unitsBelowExact?: number;
  seconds: number;
  /** The best images (kept for `--figure`). */
  images?: ImageBatch;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

async function runCase(c: ModelCase, variants: Variant[], units: number, steps?: number) {
  const model = await c.open();
  const engine = await createEngine(model, 'auto', { note: () => undefined });
  const objectives = c.layers.flatMap((layer) =>
    Array.from({ length: units }, (_, k) => channel(layer, k)),
  );
  const side = Math.min(model.input.height, model.input.width);
  const rows: Row[] = [];
  for (const variant of variants) {
    const settings = variant.settings(side);
    if (steps) settings.steps = Math.min(settings.steps, steps);
    const result = await lastResult(maximize(model, objectives, settings, { seed: 1, engine }));
    const stats = batchStats(result.best);
    const row: Row = {
      model: c.name,
      variant: variant.name,
      saturated: mean(stats.map((s) => s.saturated)),
      highFrequency: mean(stats.map((s) => s.highFrequency)),
      objective: mean(result.bestScores),
      objectiveWithTransforms: mean(result.transformedScores ?? result.bestScores),
      units: objectives.map((o) => o.description.replace('channel ', '')),
      scores: result.bestScores,
      seconds: result.seconds,
      images: result.best,
    };
    rows.push(row);
    process.stderr.write(`${JSON.stringify({ ...row, scores: undefined, images: undefined })}\n`);
  }
  const exact = rows.find((r) => r.variant === 'lucid-exact');
  if (exact) {
    for (const row of rows) {
      const ratios = exact.scores.flatMap((e, i) => (e > 0 ? [row.scores[i] / e] : []));
      row.minRatioToExact = Math.min(...ratios);
      row.unitsBelowExact = row.scores.filter((s, i) => s < exact.scores[i] - 1e-6).length;
    }
  }
  engine.dispose();
  model.dispose();
  return rows;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const pct0 = (x: number) => `${Math.round(100 * x)}%`;

function table(rows: Row[]): string {
  const lines = [
    '| model | settings | saturated | high-frequency | objective | with transforms | min unit / lucid-exact | units below lucid-exact |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.model} | ${r.variant} | ${pct(r.saturated)} | ${pct(r.highFrequency)} | ${r.objective.toFixed(3)} | ${r.objectiveWithTransforms.toFixed(3)} | ${r.minRatioToExact?.toFixed(2) ?? ''} | ${r.unitsBelowExact ?? ''}/${r.scores.length} |`,
    );
  }
  return lines.join('\n');
}

/**
 * Rows: the variants of the first model; columns: its units; under each tile the unit, its
 * objective and the image's statistics, so the numbers of the table can be seen.
 */
async function drawFigure(rows: Row[]): Promise<Buffer> {
  const shown = rows.filter((r) => r.model === rows[0].model);
  const tiles: GridTile[] = [];
  for (const row of shown) {
    const [n, h, w, c] = row.images!.shape;
    const size = h * w * c;
    for (let i = 0; i < n; i++) {
      const values = row.images!.data.subarray(i * size, (i + 1) * size);
      const stats = batchStats({ data: values, shape: [1, h, w, c] })[0];
      tiles.push({
        image: rgbaFromFloats(values, w, h, c),
        label: `${row.units[i]}\na=${row.scores[i].toPrecision(3)}\nsat ${pct0(stats.saturated)} hf ${pct0(stats.highFrequency)}`,
      });
    }
  }
  return renderGridPng(tiles, {
    columns: shown[0].scores.length,
    scale: Math.max(1, Math.ceil(112 / shown[0].images!.shape[1])),
    title: `${shown[0].model}: the same units under each preset, seed 1`,
    rowLabels: shown.map((r) => r.variant.replace(', ', ',\n')),
    notes: [
      'a: objective of the image shown (its best step, no transforms); sat: colour values within 0.02 of 0 or 1;',
      'hf: share of the luminance power above 0.25 cycles/px (image-stats.ts); uniform grey: a unit that stayed dead (a = 0)',
    ],
  });
}

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
}

async function main(): Promise<void> {
  await initBackend('wasm');
  const size = Number(option('size') ?? 64);
  const units = Number(option('units') ?? 4);
  const steps = option('steps') ? Number(option('steps')) : undefined;
  const wanted = option('variants')?.split(';'); // names contain commas
  const variants = wanted ? VARIANTS.filter((v) => wanted.includes(v.name)) : VARIANTS;
  const rows: Row[] = [];
  for (const spec of (option('models') ?? 'embedded,vgg16').split(',')) {
    const c = MODELS[spec]?.(size) ?? {
      name: spec,
      open: () => openModel({ model: spec }),
      layers: (option('layers') ?? '').split(','),
    };
    rows.push(...(await runCase(c, variants, units, steps)));
  }
  process.stdout.write(`${table(rows)}\n`);
  const json = option('json');
  const plain = rows.map((r) => ({ ...r, images: undefined }));
  if (json) await writeFile(json, JSON.stringify(plain, null, 1));
  const figure = option('figure');
  if (figure) await writeBytesAtomic(figure, await drawFigure(rows));
}

await main();
