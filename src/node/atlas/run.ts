/**
 * Building an atlas: an async generator that works through the site's per-unit jobs and yields
 * progress events (the CLI draws them as a bar with an ETA; anything else can log or stop
 * them). Kernels first (cheap, from the weights), then one dataset scan for the patches of
 * every chosen layer, then the optimized images in batches of units of one layer. After each
 * piece of work the manifest is saved (plan.ts), so a killed build resumes where it stopped:
 * a unit whose parts are all there is never run again.
 */
import { rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { ConvscopeError } from '../../core/errors.js';
import type { NetworkEngine } from '../../core/engines/network-engine.js';
import type { VisModel } from '../../core/models/vis-model.js';
import type { PatchesWorkerData } from '../patches-scan.js';
import type { ShardResult, ShardTask } from '../patches-shard.js';
import type { ShardRunner } from '../worker-pool.js';
import { writeKernels } from './kernels.js';
import { optimizeUnits, type OptimizeSetup } from './optimize.js';
import {
  renderAtlasLayer,
  scanAtlasImages,
  writePatchesManifest,
  type AtlasScan,
} from './patches.js';
import {
  mergePlan,
  planAtlas,
  readManifest,
  saveManifest,
  unitDone,
  unitKey,
  type AtlasManifest,
  type AtlasSettings,
  type AtlasUnit,
} from './plan.js';
import { writeSiteAssets } from './site.js';

export interface AtlasRun {
  model: VisModel;
  engine: NetworkEngine;
  siteDir: string;
  layers: string[];
  settings: AtlasSettings;
  tool: string;
  /** The optimization's setup (resolved preset, workers, queue); `patches` is set here. */
  optimize: Omit<OptimizeSetup, 'patches' | 'signal'>;
  /** The dataset images for the patches (with `settings.images`). */
  images?: string[];
  scanWorker?: PatchesWorkerData;
  scanRunner?: () => ShardRunner<ShardTask, ShardResult>;
  /** Units per optimization batch (default 16). */
  batch?: number;
  signal?: AbortSignal;
}

export type AtlasEvent =
  | { kind: 'start'; units: number; done: number; pending: number }
  | { kind: 'kernels'; layer: string }
  | { kind: 'scan'; images: number; total: number }
  | { kind: 'patches'; layer: string }
  | { kind: 'step'; layer: string; units: number[]; step: number; steps: number }
  | {
      kind: 'units';
      layer: string;
      units: number[];
      /** Units finished in this run, units pending at its start, and the estimate of the rest. */
      doneNow: number;
      pendingAtStart: number;
      etaSeconds: number;
    }
  | { kind: 'done'; manifest: AtlasManifest; seconds: number };

/** `--out` must be a folder (or not exist yet). */
async function checkSiteDir(dir: string): Promise<void> {
  const found = await stat(dir).catch(() => null);
  if (found && !found.isDirectory()) {
    throw new ConvscopeError(
      `--out ${dir} is a file; the atlas is a folder (a static site)`,
      'give a folder path',
    );
  }
}

/**
 * Runs `work` and yields the events it pushes while it runs (a newer step event replaces one
 * not yet taken, so a slow consumer never falls behind), then returns its result.
 */
async function* pumped<T>(
  work: (push: (event: AtlasEvent) => void) => Promise<T>,
): AsyncGenerator<AtlasEvent, T> {
  const queue: AtlasEvent[] = [];
  let wake: (() => void) | undefined;
  let finished = false;
  const push = (event: AtlasEvent) => {
    const last = queue[queue.length - 1];
    if (last && last.kind === event.kind) queue[queue.length - 1] = event;
    else queue.push(event);
    wake?.();
  };
  const promise = work(push).finally(() => {
    finished = true;
    wake?.();
  });
  promise.catch(() => undefined);
  while (!finished || queue.length > 0) {
    const next = queue.shift();
    if (next) {
      yield next;
      continue;
    }
    await new Promise<void>((resolve) => (wake = resolve));
    wake = undefined;
  }
  return await promise;
}

/** Pending units of each layer, in layer order. */
function pendingBy(units: AtlasUnit[], need: (u: AtlasUnit) => boolean): Map<string, number[]> {
  const by = new Map<string, number[]>();
  for (const u of units) if (need(u)) by.set(u.layer, [...(by.get(u.layer) ?? []), u.index]);
  return by;
}

/**
 * Builds (or resumes) the atlas in `run.siteDir`.
 *
 * @example for await (const event of buildAtlas(run)) if (event.kind === 'units') bar.update(event.doneNow);
 */
export async function* buildAtlas(run: AtlasRun): AsyncGenerator<AtlasEvent> {
  const started = performance.now();
  const { siteDir, model, settings } = run;
  await checkSiteDir(siteDir);
  const site = await readManifest(siteDir);
  const manifest = mergePlan(site, planAtlas(model, run.layers, settings, run.tool), siteDir);
  const chosen = new Set(run.layers);
  const units = manifest.units.filter((u) => chosen.has(u.layer));
  const byKey = new Map(units.map((u) => [unitKey(u.layer, u.index), u]));
  const layerOf = new Map(manifest.layers.map((l) => [l.name, l]));
  const pendingAtStart = units.filter((u) => !unitDone(u, settings)).length;
  await rm(path.join(siteDir, '.work'), { recursive: true, force: true });
  await writeSiteAssets(siteDir);
  await saveManifest(siteDir, manifest);
  yield {
    kind: 'start',
    units: units.length,
    done: units.length - pendingAtStart,
    pending: pendingAtStart,
  };
  const save = () => {
    manifest.seconds = (site?.seconds ?? 0) + (performance.now() - started) / 1000;
    return saveManifest(siteDir, manifest);
  };

  for (const [layer, filters] of pendingBy(units, (u) => u.kernel === undefined)) {
    const { files, kernelShape } = await writeKernels(model, layer, filters, siteDir);
    layerOf.get(layer)!.kernelShape = kernelShape;
    for (const [k, file] of files) byKey.get(unitKey(layer, k))!.kernel = file;
    await save();
    yield { kind: 'kernels', layer };
  }

  let patchesManifest: string | undefined;
  if (settings.images !== undefined && run.images) {
    const pending = pendingBy(units, (u) => u.patches === undefined);
    if (pending.size > 0) {
      const scan: AtlasScan = {
        model,
        siteDir,
        imagesDir: settings.images,
        files: run.images,
        layers: run.layers.filter((l) => pending.has(l)),
        k: settings.top,
        engine: run.engine,
        worker: run.scanWorker,
        runShards: run.scanRunner?.(),
        signal: run.signal,
      };
      const index = yield* pumped((push) =>
        scanAtlasImages({
          ...scan,
          onProgress: (images, total) => push({ kind: 'scan', images, total }),
        }),
      );
      for (const layer of scan.layers) {
        const done = await renderAtlasLayer(scan, index, layer, pending.get(layer)!);
        layerOf.get(layer)!.patchGrid = done.grid;
        for (const [k, patches] of done.units) {
          const unit = byKey.get(unitKey(layer, k))!;
          unit.patches = patches;
          if (unit.stats && patches[0]) unit.stats.natural = patches[0].activation;
        }
        await save();
        yield { kind: 'patches', layer };
      }
    }
    patchesManifest = await writePatchesManifest(siteDir, settings.images, manifest.units);
  }

  const setup: OptimizeSetup = { ...run.optimize, patches: patchesManifest, signal: run.signal };
  const batch = Math.max(1, run.batch ?? 16);
  let doneNow = 0;
  const optimizing = performance.now();
  for (const [layer, filters] of pendingBy(units, (u) => u.image === undefined)) {
    for (let at = 0; at < filters.length; at += batch) {
      const chunk = filters.slice(at, at + batch);
      for (const k of chunk) byKey.get(unitKey(layer, k))!.attempts += 1;
      await save();
      const results = yield* pumped((push) =>
        optimizeUnits(setup, layer, chunk, siteDir, (step) =>
          push({ kind: 'step', layer, units: chunk, step, steps: setup.settings.steps }),
        ),
      );
      for (const result of results) {
        const unit = byKey.get(unitKey(layer, result.index))!;
        unit.image = result.image;
        if (result.facets) unit.facets = result.facets;
        const natural = unit.patches?.[0]?.activation;
        unit.stats = { ...result.stats, ...(natural === undefined ? {} : { natural }) };
        unit.seconds = result.seconds;
      }
      await save();
      doneNow += chunk.length;
      const perUnit = (performance.now() - optimizing) / 1000 / doneNow;
      const left = units.filter((u) => !unitDone(u, settings)).length;
      yield {
        kind: 'units',
        layer,
        units: chunk,
        doneNow,
        pendingAtStart,
        etaSeconds: perUnit * left,
      };
    }
  }
  await save();
  yield { kind: 'done', manifest, seconds: (performance.now() - started) / 1000 };
}
