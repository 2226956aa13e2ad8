/**
 * The batch size (items optimized together in one forward/backward pass) picked by
 * measurement: for each candidate size, a few steps of the real optimization of the run's
 * first items on this thread, timed per item-step; the fastest wins. A batch amortizes
 * per-op overhead and feeds XNNPACK larger GEMMs, until memory traffic takes over (VGG16,
 * block3_conv1, 128 px, this VM: 427 ms per item-step alone, 353 at 16, 365 at 32).
 */
import type { NetworkEngine } from '../core/engines/network-engine.js';
import type { VisModel } from '../core/models/vis-model.js';
import { objectiveFromSpec, type ObjectiveSpec } from '../core/objectives/objective-spec.js';
import { maximize } from '../core/optimize/maximize.js';
import type { OptimizationSettings } from '../core/optimize/settings.js';

export const BATCH_CANDIDATES = [1, 2, 4, 8, 16, 32] as const;

export interface BatchChoice {
  batch: number;
  /** Milliseconds per item-step for each candidate measured. */
  measured: { batch: number; ms: number }[];
}

/** Milliseconds of one optimization step of `specs` as one batch (the second step, warm). */
export async function stepMs(
  model: VisModel,
  specs: ObjectiveSpec[],
  settings: OptimizationSettings,
  engine?: NetworkEngine,
): Promise<number> {
  const marks: number[] = [];
  const run = maximize(
    model,
    specs.map(objectiveFromSpec),
    { ...settings, steps: 3 },
    {
      seed: 0,
      engine,
      // No measured frames or best-iterate measurements in the timed steps.
      frameEvery: 1000,
      bestEvery: 1000,
      yieldControl: async () => void marks.push(performance.now()),
    },
  );
  for await (const frame of run) void frame;
  return marks[1] - marks[0];
}

/**
 * @example const { batch } = await chooseBatchSize(model, specs, settings, 32);
 */
export async function chooseBatchSize(
  model: VisModel,
  specs: ObjectiveSpec[],
  settings: OptimizationSettings,
  largest: number = BATCH_CANDIDATES[BATCH_CANDIDATES.length - 1],
  engine?: NetworkEngine,
): Promise<BatchChoice> {
  const measured: BatchChoice['measured'] = [];
  for (const batch of BATCH_CANDIDATES) {
    if (batch > Math.min(largest, specs.length)) break;
    const ms = (await stepMs(model, specs.slice(0, batch), settings, engine)) / batch;
    measured.push({ batch, ms });
    // Past the best by a clear margin: larger batches will not come back.
    const best = Math.min(...measured.map((m) => m.ms));
    if (ms > best * 1.15) break;
  }
  const best = measured.reduce((a, b) => (b.ms < a.ms ? b : a));
  return { batch: best.batch, measured };
}
