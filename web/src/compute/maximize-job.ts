/**
 * One activation-maximization job in the worker: core's `maximize` generator, consumed frame
 * by frame and forwarded to the page. Pausing stops pulling steps (the optimizer state stays,
 * so resume continues exactly), stopping aborts (the run ends with its best images), and the
 * loop yields a macrotask after each step so control messages get through.
 */
import { batchStats } from '../../../src/core/evaluation/image-stats.js';
import { objectiveFromSpec } from '../../../src/core/objectives/objective-spec.js';
import { effectiveStepRule, maximize } from '../../../src/core/optimize/maximize.js';
import { unitScores } from '../../../src/core/optimize/unit-scores.js';
import { resolveRun } from '../../../src/core/optimize/resolve-run.js';
import { lastResult } from '../../../src/core/run/last-result.js';
import type { VisModel } from '../../../src/core/models/vis-model.js';
import type { MaximizeDone, MaximizeFrame, MaximizeRequest } from '../bridge/protocol.js';
import { batchImage } from './images.js';

/** A macrotask: lets queued messages (pause, stop) run between steps. */
function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    // addEventListener (not onmessage): the same code typechecks against Node's MessagePort,
    // where the run-record test runs this job.
    channel.port1.addEventListener('message', () => resolve(), { once: true });
    channel.port1.start();
    channel.port2.postMessage(null);
  });
}

export class MaximizeJob {
  readonly signal = { aborted: false };
  private paused = false;
  private wake: (() => void) | null = null;

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.wake?.();
  }

  stop(): void {
    this.signal.aborted = true;
    this.resume();
  }

  private async between(): Promise<void> {
    await nextTask();
    while (this.paused && !this.signal.aborted) {
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** Runs to the end (or stop), calling `onFrame` for each frame. */
  async run(
    base: VisModel,
    request: MaximizeRequest,
    onFrame: (frame: MaximizeFrame) => void,
  ): Promise<MaximizeDone> {
    const run = await resolveRun(base, request.preset, request.overrides, {
      objectives: request.objectives,
    });
    const { model, settings } = run;
    const start = performance.now();
    try {
      const objectives = request.objectives.map(objectiveFromSpec);
      const result = await lastResult(
        maximize(model, objectives, settings, {
          seed: request.seed,
          signal: this.signal,
          frameEvery: request.frameEvery,
          yieldControl: () => this.between(),
        }),
        (frame) => {
          // With diversity, N images per objective (maximize expands them).
          const images = Array.from({ length: frame.images.shape[0] }, (_, i) =>
            batchImage(frame.images, i),
          );
          const seconds = (performance.now() - start) / 1000;
          onFrame({
            step: frame.step,
            steps: frame.steps,
            images,
            scores: frame.scores,
            rate: seconds > 0 ? frame.step / seconds : 0,
          });
        },
      );
      const facets = settings.diversity?.images ?? 1;
      const specs = request.objectives.flatMap((spec) => Array(facets).fill(spec));
      return {
        ...(facets > 1 ? { unitScores: await unitScores(model, specs, result.best) } : {}),
        steps: result.steps,
        aborted: result.aborted,
        seconds: result.seconds,
        best: Array.from({ length: result.best.shape[0] }, (_, i) => batchImage(result.best, i)),
        bestScores: result.bestScores,
        bestSteps: result.bestSteps,
        initial: result.initial,
        final: result.final,
        settings,
        effectiveLearningRate: effectiveStepRule(settings, model.input.height).lr,
        size: model.input.height,
        stats: batchStats(result.best),
        ...(result.transformedScores ? { transformedScores: result.transformedScores } : {}),
      };
    } finally {
      if (run.resized) model.dispose();
    }
  }
}
