/**
 * One run record for both faces: the same items (filters 0-2 of block2_conv1; classes `0,Bag`)
 * run through the CLI's `visualize` and through the workbench's path (its worker job, then its
 * manifest builder) give the same file names, history names, manifest fields and values.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VisModel } from '../src/core/models/vis-model.js';
import { resolveRun } from '../src/core/optimize/resolve-run.js';
import { channelItems, classItems, type RunItem } from '../src/core/run/run-items.js';
import { initBackend } from '../src/node/backend.js';
import { openModel } from '../src/node/open-model.js';
import { visualize } from '../src/node/visualize.js';
import { MaximizeJob } from '../web/src/compute/maximize-job.js';
import type { MaximizeFrame } from '../web/src/bridge/protocol.js';
import { runManifest, type RunFrame } from '../web/src/export/run-manifest.js';

let model: VisModel;
const dirs: string[] = [];
beforeAll(async () => {
  // The page's worker runs TF.js too; one backend for both faces makes their numbers comparable.
  await initBackend('wasm');
  model = await openModel({});
});
afterAll(() => {
  model.dispose();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const STEPS = 8;
// Both faces track the best image at frames: the CLI at every step, so the page too.
const EVERY = 1;

/** Every key path of a JSON value (array entries merged), e.g. `items[].activation.best`. */
function keyPaths(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value)) return [...new Set(value.flatMap((v) => keyPaths(v, `${prefix}[]`)))];
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => [
      `${prefix}.${k}`,
      ...(k === 'settings' || k === 'spec' ? [] : keyPaths(v, `${prefix}.${k}`)),
    ]);
  return [];
}

/** The CLI's run: `visualize` writes the files; returns them and the manifest. */
async function cliRun(items: RunItem[], layer: string) {
  const { settings } = await resolveRun(
    model,
    'lucid',
    { steps: STEPS },
    {
      objectives: items.map((i) => i.spec),
    },
  );
  const outDir = mkdtempSync(path.join(os.tmpdir(), 'run-record-'));
  dirs.push(outDir);
  const manifest = await visualize({
    model,
    items,
    settings,
    preset: 'lucid',
    seed: 3,
    backend: 'wasm',
    tool: 'test',
    outDir,
    history: EVERY,
  });
  const files = [
    ...readdirSync(outDir).filter((f) => f.endsWith('.png') && f !== 'grid.png'),
    ...readdirSync(path.join(outDir, 'history'))
      .filter((f) => !f.endsWith('_strip.png'))
      .map((f) => `history/${f}`),
  ].sort();
  expect(manifest.layer).toBe(layer);
  return { manifest, files };
}

/** The page's run: the worker job's frames and result, then the page's manifest builder. */
async function webRun(items: RunItem[], layer: string) {
  const frames: RunFrame[] = [];
  const onFrame = (frame: MaximizeFrame) => {
    // The last frame comes twice (as the optimize view records it: keep one).
    if (frames.at(-1)?.step === frame.step) frames.pop();
    frames.push({ step: frame.step, scores: frame.scores, images: frame.images });
  };
  const done = await new MaximizeJob().run(
    model,
    {
      objectives: items.map((i) => i.spec),
      preset: 'lucid',
      overrides: { steps: STEPS },
      seed: 3,
      frameEvery: EVERY,
    },
    onFrame,
  );
  const run = {
    model: model.name,
    layer,
    preset: 'lucid',
    seed: 3,
    items: items.map((item) => ({ ...item, caption: String(item.index) })),
    frames,
    done,
    backend: { backend: 'wasm' as const, threads: 1, notes: [] },
  };
  const manifest = runManifest(run, 'test');
  const files = manifest.items.flatMap((i) => [i.file, ...i.history!.map((h) => h.file)]).sort();
  return { manifest, files };
}

describe('a CLI run and a web run of the same items', () => {
  const cases: [string, () => RunItem[], string][] = [
    ['filters 0-2 of block2_conv1', () => channelItems('block2_conv1', 32, '0-2'), 'block2_conv1'],
    ['classes 0,Bag', () => classItems('0,Bag', model.classes, model.labels), 'logits'],
  ];
  for (const [name, items, layer] of cases) {
    it(`names the same files and fields: ${name}`, async () => {
      const cli = await cliRun(items(), layer);
      const web = await webRun(items(), layer);
      expect(web.files).toEqual(cli.files);
      // The CLI draws a grid and the page does not; every other field is in both.
      const cliKeys = keyPaths(cli.manifest).filter(
        (k) => k !== '.grid' && !k.endsWith('.probability'),
      );
      expect(keyPaths(web.manifest).sort()).toEqual(cliKeys.sort());
      // Same seed, settings and backend: the same numbers, rounded the same way.
      const strip = (m: typeof cli.manifest | typeof web.manifest) =>
        m.items.map(({ file, objective, spec, activation, bestStep, stats, history }) => ({
          file,
          objective,
          spec,
          activation,
          bestStep,
          stats,
          history,
        }));
      expect(strip(web.manifest)).toEqual(strip(cli.manifest));
      expect(web.manifest.settings).toEqual(cli.manifest.settings);
    });
  }
  it('names classes by index and slug on both faces', () => {
    expect(classItems('0,Bag', model.classes, model.labels).map((i) => i.stem)).toEqual([
      'class_0_t-shirt-top',
      'class_8_bag',
    ]);
  });
});
