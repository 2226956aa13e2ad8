/**
 * From what a user asks for (model options, layers, preset and overrides, images, queue) to an
 * `AtlasRun`: the preset resolved as `convscope filters` resolves it (a resizable model is
 * rendered at the preset's size, MACO gets its spectrum), worker threads or queue runners for
 * the optimization and the scan, and the settings record that a resumed site must match.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { ConvscopeError } from '../../core/errors.js';
import type { NetworkEngine } from '../../core/engines/network-engine.js';
import type { VisModel } from '../../core/models/vis-model.js';
import { resolveRun } from '../../core/optimize/resolve-run.js';
import { engineThreads, sameEngineFor } from '../engine.js';
import { expandImagePaths } from '../images.js';
import { macoSpectrum } from '../maco-spectrum-images.js';
import type { ModelOptions } from '../open-model.js';
import { maximizeRunner, scanRunner } from '../queue/runners.js';
import { indexKey } from '../patches-index.js';
import { defaultPoolSize } from '../worker-pool.js';
import { chooseLayers } from './plan.js';
import type { AtlasRun } from './run.js';

export interface AtlasRequest {
  model: VisModel;
  engine: NetworkEngine;
  backend: string;
  /** How worker threads and queue workers open the same model. */
  modelOptions: ModelOptions;
  out: string;
  layers?: string;
  images?: string;
  preset: string;
  /** Setting overrides by key (`steps`, `diversity`, ...), as given. */
  overrides: Record<string, string | undefined>;
  seed: number;
  top: number;
  /** Worker threads for the optimization (default: one per core). */
  workers?: number;
  /** Units per optimization batch. */
  batch?: number;
  queue?: string;
  note?: (line: string) => void;
  tool: string;
  signal?: AbortSignal;
}

/** The run, and what to dispose after it (a resized model and its engine). */
export async function atlasRun(request: AtlasRequest): Promise<{ run: AtlasRun; dispose(): void }> {
  const { engine, backend } = request;
  const layers = chooseLayers(request.model, request.layers);
  let images: string[] | undefined;
  if (request.images !== undefined) {
    const found = await stat(request.images).catch(() => null);
    if (!found?.isDirectory()) {
      throw new ConvscopeError(
        `--images ${request.images} is not a folder`,
        'give the folder of dataset images the patches come from (e.g. samples/fashion-mnist)',
      );
    }
    images = await expandImagePaths([path.resolve(request.images)]);
  }
  const objectives = layers.map((layer) => ({ kind: 'channel', layer, channel: 0 }) as const);
  const batch = request.batch ?? 16;
  const resolved = await resolveRun(request.model, request.preset, request.overrides, {
    objectives,
    batch,
  });
  const { settings } = resolved;
  if (settings.parameterization.kind === 'maco') {
    settings.parameterization.spectrum ??= await macoSpectrum(resolved.model);
  }
  const model = resolved.model;
  const runEngine = resolved.resized ? await sameEngineFor(model, engine) : engine;
  const workers = request.queue
    ? Math.max(1, request.workers ?? 2)
    : Math.max(1, request.workers ?? defaultPoolSize());
  const threads = engineThreads(engine);
  const workerData = {
    model: { ...request.modelOptions, size: model.input.height },
    backend,
    size: model.input.height,
    engine: runEngine.name,
    threads: Math.max(1, Math.floor(threads / workers)),
  };
  const queue = request.queue ? { url: request.queue, note: request.note } : undefined;
  const scanWorker = {
    model: { ...request.modelOptions },
    backend,
    engine: engine.name,
    threads,
  };
  const given = Object.entries(request.overrides).filter(
    (e): e is [string, string] => e[1] !== undefined && e[0] !== 'steps' && e[0] !== 'diversity',
  );
  const run: AtlasRun = {
    model: request.model,
    engine,
    siteDir: request.out,
    layers,
    tool: request.tool,
    settings: {
      model: request.modelOptions.model ?? 'embedded',
      engine: engine.name,
      preset: resolved.preset.name,
      steps: settings.steps,
      seed: request.seed,
      diversity: settings.diversity?.images ?? 1,
      ...(request.images === undefined ? {} : { images: path.resolve(request.images) }),
      top: request.top,
      overrides: Object.fromEntries(given),
    },
    optimize: {
      model,
      settings,
      preset: resolved.preset.name,
      seed: request.seed,
      backend,
      engine: runEngine,
      tool: request.tool,
      workers,
      workerData,
      ...(queue ? { runShards: () => maximizeRunner(queue, 'filters', workerData, false) } : {}),
    },
    ...(images ? { images } : {}),
    scanWorker,
    ...(queue && images
      ? {
          scanRunner: () =>
            scanRunner(queue, scanWorker, {
              index: indexKey(request.model, images, 'cover'),
              layers,
              k: request.top,
              batch: 32,
            }),
        }
      : {}),
    batch,
    signal: request.signal,
  };
  return {
    run,
    dispose: () => {
      if (resolved.resized) model.dispose();
      if (runEngine !== engine) runEngine.dispose();
    },
  };
}
