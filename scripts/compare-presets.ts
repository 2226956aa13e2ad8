/**
 * `node --import tsx scripts/compare-presets.ts [--models embedded,vgg16,FILE.onnx[:grey0]]
 * [--layers L,L] [--units N] [--seeds 1,2,3] [--steps N] [--variants 'a;b'] [--json OUT.json]
 * [--figure F.png]`: the tables of issue 16. For each model it optimizes the same units under
 * each variant (presets, and the `lucid` preset with one factor changed at a time) once per
 * seed and prints, per variant, the mean saturated fraction, the mean high-frequency fraction,
 * the dark rims (image-stats.ts), the mean objective without and with transforms, and the
 * smallest ratio of a unit's mean objective to its `lucid-exact` mean (>= 1: at least Lucid's
 * on every unit); with several seeds also a per-unit table of `lucid` against `lucid-exact`
 * (mean, min and max over the seeds). Units: the first N channels of three layers per model
 * (or of --layers), all in one batch, so each variant and seed is one optimization; the ONNX
 * engine runs it where it can. `MODEL:grey0` is the model with its zero moved to mid grey.
 */
import { writeFile } from 'node:fs/promises';
import type { ImageBatch } from '../src/core/optimize/maximize.js';
import { rgbaFromFloats } from '../src/core/image/rgba.js';
import { writeBytesAtomic } from '../src/node/atomic-write.js';
import { renderGridPng, type GridTile } from '../src/node/grid-png.js';
import {
  batchStats,
  luminance,
  rimContrast,
  rimWidth,
} from '../src/core/evaluation/image-stats.js';
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
  // The rim (issue 16): one factor of the view at a time.
  ...[0, 1].map((value) =>
    lucidWith(`lucid, pad ${value}`, (s, side) => {
      s.transforms = standardTransforms(side).map((t) => (t.kind === 'pad' ? { ...t, value } : t));
    }),
  ),
  lucidWith('lucid, no jitter', (s, side) => {
    s.transforms = standardTransforms(side).filter((t) => t.kind !== 'jitter');
  }),
  lucidWith('lucid, no scale or rotate', (s, side) => {
    s.transforms = standardTransforms(side).filter(
      (t) => t.kind !== 'scale' && t.kind !== 'rotate',
    );
  }),
  lucidWith('lucid, no transforms', (s) => (s.transforms = [])),
  // Per unit against lucid-exact: its two differences from lucid, one at a time.
  lucidWith('lucid, rotations as lucid-exact', (s, side) => {
    const zeros = [0, 0, 0, 0, 0];
    s.transforms = standardTransforms(side).map((t) =>
      t.kind === 'rotate' ? { ...t, degrees: [...t.degrees, ...zeros] } : t,
    );
  }),
  // The default until the shrinking standard set (issue 16): the size-scaled set at every step.
  lucidWith(
    'lucid, fixed transforms (before)',
    (s, side) => (s.transforms = standardTransforms(side)),
  ),
  lucidWith('lucid, transforms x2', (s, side) => (s.transforms = standardTransforms(2 * side))),
  lucidWith('lucid, transforms x1.5', (s, side) => (s.transforms = standardTransforms(1.5 * side))),
  lucidWith('lucid, redirected ReLU 64 steps', (s) => (s.redirectSteps = 64)),
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
  /** Luminance of the outer ring minus the inside's (image-stats.ts `rimContrast`), mean. */
  rim: number;
  /** Fraction of images whose rim is darker than the inside by more than RIM_DARK. */
  darkRims: number;
  /** Fraction of images whose rim differs from the inside by more than RIM_DARK either way. */
  rims: number;
  /** Per seed, per unit: the rim contrast. */
  seedRims: number[][];
  /** Mean over images of `fade`: how much less the rim departs from mid grey than the inside. */
  fade: number;
  objective: number;
  objectiveWithTransforms: number;
  /** Per unit: its name (layer:channel) and objective (the mean over the seeds). */
  units: string[];
  scores: number[];
  /** Per seed, per unit: the objective. */
  seedScores: number[][];
  seeds: number[];
  /** Smallest objective / lucid-exact's over the units where lucid-exact's is above zero. */
  minRatioToExact?: number;
  /** Units whose objective is below lucid-exact's (by more than 1e-6). */
  unitsBelowExact?: number;
  seconds: number;
  /** The best images of the first seed (kept for `--figure`). */
  images?: ImageBatch;
}

/** A rim counts as dark when its luminance is this far below the inside's. */
export const RIM_DARK = 0.1;

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * 1 - (mean |luminance - 0.5| over the rim) / (the same over the inside): 0 when the rim is as
 * far from the grey start as the picture inside it, 1 when it stayed grey (a rim the
 * optimization did not reach, whichever way the picture went). Images whose inside stays
 * within 0.05 of grey (dead units) count as 0.
 */
function fade(values: ArrayLike<number>, h: number, w: number, c: number): number {
  const gray = luminance(values, c);
  const ring = rimWidth(h, w);
  const [rim, inside] = [
    [0, 0],
    [0, 0],
  ];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const side = Math.min(y, x, h - 1 - y, w - 1 - x) < ring ? rim : inside;
      side[0] += Math.abs(gray[y * w + x] - 0.5);
      side[1]++;
    }
  }
  const [r, i] = [rim[0] / rim[1], inside[0] / inside[1]];
  return i < 0.05 ? 0 : 1 - r / i;
}

/** Per image of an NHWC batch: its rim contrast. */
function rims(batch: ImageBatch): number[] {
  const [n, h, w, c] = batch.shape;
  const size = h * w * c;
  return Array.from({ length: n }, (_, i) =>
    rimContrast(batch.data.subarray(i * size, (i + 1) * size), h, w, c),
  );
}

async function runCase(
  c: ModelCase,
  variants: Variant[],
  units: number,
  seeds: number[],
  steps?: number,
) {
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
    const runs = [];
    for (const seed of seeds) {
      runs.push(await lastResult(maximize(model, objectives, settings, { seed, engine })));
    }
    const stats = runs.flatMap((r) => batchStats(r.best));
    const seedRims = runs.map((r) => rims(r.best));
    const rim = seedRims.flat();
    const seedScores = runs.map((r) => r.bestScores);
    const row: Row = {
      model: c.name,
      variant: variant.name,
      saturated: mean(stats.map((s) => s.saturated)),
      highFrequency: mean(stats.map((s) => s.highFrequency)),
      rim: mean(rim),
      darkRims: rim.filter((r) => r < -RIM_DARK).length / rim.length,
      rims: rim.filter((r) => Math.abs(r) > RIM_DARK).length / rim.length,
      seedRims,
      fade: mean(
        runs.flatMap((r) => {
          const [n, h, w, ch] = r.best.shape;
          const size = h * w * ch;
          return Array.from({ length: n }, (_, i) =>
            fade(r.best.data.subarray(i * size, (i + 1) * size), h, w, ch),
          );
        }),
      ),
      objective: mean(seedScores.flat()),
      objectiveWithTransforms: mean(runs.flatMap((r) => r.transformedScores ?? r.bestScores)),
      units: objectives.map((o) => o.description.replace('channel ', '')),
      scores: objectives.map((_, i) => mean(seedScores.map((s) => s[i]))),
      seedScores,
      seeds,
      seconds: mean(runs.map((r) => r.seconds)),
      images: runs[0].best,
    };
    rows.push(row);
    process.stderr.write(
      `${JSON.stringify({ ...row, images: undefined, seedScores: undefined, seedRims: undefined })}\n`,
    );
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
    '| model | settings | saturated | high-frequency | dark rims | rims | rim - inside | rim fade | objective | with transforms | min unit / lucid-exact | units below lucid-exact |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.model} | ${r.variant} | ${pct(r.saturated)} | ${pct(r.highFrequency)} | ${pct0(r.darkRims)} | ${pct0(r.rims)} | ${r.rim.toFixed(3)} | ${r.fade.toFixed(2)} | ${r.objective.toFixed(3)} | ${r.objectiveWithTransforms.toFixed(3)} | ${r.minRatioToExact?.toFixed(2) ?? ''} | ${r.unitsBelowExact ?? ''}/${r.scores.length} |`,
    );
  }
  return lines.join('\n');
}

/**
 * Per unit, over the seeds: `lucid`'s and `lucid-exact`'s mean objective with the smallest and
 * largest, and the ratio of the means (below 1: the default scores lower on that unit).
 */
function unitTable(rows: Row[]): string {
  const lines = [
    '| model | unit | lucid mean (min-max) | lucid-exact mean (min-max) | ratio of means | seeds lucid below exact |',
    '|---|---|---:|---:|---:|---:|',
  ];
  const spread = (xs: number[]) =>
    `${mean(xs).toPrecision(4)} (${Math.min(...xs).toPrecision(4)}-${Math.max(...xs).toPrecision(4)})`;
  for (const model of new Set(rows.map((r) => r.model))) {
    const lucid = rows.find((r) => r.model === model && r.variant === 'lucid');
    const exact = rows.find((r) => r.model === model && r.variant === 'lucid-exact');
    if (!lucid || !exact) continue;
    lucid.units.forEach((unit, i) => {
      const [a, b] = [lucid.seedScores.map((s) => s[i]), exact.seedScores.map((s) => s[i])];
      const below = a.filter((x, k) => x < b[k] - 1e-6).length;
      const ratio = mean(b) > 0 ? (mean(a) / mean(b)).toFixed(3) : 'dead';
      lines.push(
        `| ${model} | ${unit} | ${spread(a)} | ${spread(b)} | ${ratio} | ${below}/${a.length} |`,
      );
    });
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
    title: `${shown[0].model}: the same units under each preset, seed ${shown[0].seeds[0]}`,
    rowLabels: shown.map((r) => r.variant.replace(', ', ',\n')),
    notes: [
      'a: objective of the image shown (its best step, no transforms); sat: colour values within 0.02 of 0 or 1;',
      'hf: share of the luminance power above 0.25 cycles/px (image-stats.ts); uniform grey: a unit that stayed dead (a = 0)',
    ],
  });
}

/**
 * The same network seeing x - 0.5 instead of x, with the first convolution's bias raised by
 * 0.5 * (sum of its kernel) per filter: inside the image every activation is unchanged, but
 * the convolutions' zero padding now stands for mid grey instead of black. If the dark rim is
 * the network's padding showing through, it goes away here.
 */
function greyZero(model: VisModel): VisModel {
  const conv = model.model.layers.find((l) => l.getClassName() === 'Conv2D');
  if (!conv) throw new Error(`${model.name} has no Conv2D layer to move its zero through`);
  const [kernel, bias] = conv.getWeights();
  const kernelSums = kernel.sum([0, 1, 2]);
  conv.setWeights([kernel, bias.add(kernelSums.mul(0.5))]);
  return new VisModel(model.model, { name: model.name, input: { range: [-0.5, 0.5] } });
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
  const seeds = (option('seeds') ?? '1').split(',').map(Number);
  const wanted = option('variants')?.split(';'); // names contain commas
  const variants = wanted ? VARIANTS.filter((v) => wanted.includes(v.name)) : VARIANTS;
  const rows: Row[] = [];
  for (const spec of (option('models') ?? 'embedded,vgg16').split(',')) {
    // NAME:grey0 is the model with its zero moved to mid grey (greyZero).
    const [name, shift] = spec.split(':');
    const c = MODELS[name]?.(size) ?? {
      name,
      open: () => openModel({ model: name }),
      layers: (option('layers') ?? '').split(','),
    };
    if (MODELS[name] && option('layers')) c.layers = option('layers')!.split(',');
    const open = c.open;
    if (shift === 'grey0')
      Object.assign(c, {
        name: `${c.name}, zero at grey`,
        open: async () => greyZero(await open()),
      });
    rows.push(...(await runCase(c, variants, units, seeds, steps)));
  }
  process.stdout.write(`${table(rows)}\n`);
  if (seeds.length > 1) process.stdout.write(`\n${unitTable(rows)}\n`);
  const json = option('json');
  const plain = rows.map((r) => ({ ...r, images: undefined }));
  if (json) await writeFile(json, JSON.stringify(plain, null, 1));
  const figure = option('figure');
  if (figure) await writeBytesAtomic(figure, await drawFigure(rows));
}

await main();
