/**
 * The worker entry of a parallel activation-maximization run (started by maximize-pool.ts):
 * it starts its own single-threaded backend, opens the model once from the options the main
 * thread used (at the run's image size), and optimizes the shards of objectives it is sent,
 * streaming progress frames (step and objective values) back.
 */
import { objectiveFromSpec } from '../core/objectives/objective-spec.js';
import type { ObjectiveSpec } from '../core/objectives/spec-types.js';
import { maximize } from '../core/optimize/maximize.js';
import { lastResult } from '../core/run/last-result.js';
import { unitScores } from '../core/optimize/unit-scores.js';
import type {
  MaximizeShard,
  MaximizeShardResult,
  MaximizeWorkerData,
  ShardFrame,
} from './maximize-pool.js';
import { classProbabilities } from './class-probabilities.js';
import { serveModelTasks } from './worker-model.js';
import { eventTurn } from './event-turn.js';

serveModelTasks<MaximizeWorkerData, MaximizeShard, MaximizeShardResult, ShardFrame>(
  async (shard, { model, engine }, emit) => {
    const result = await lastResult(
      maximize(model, shard.specs.map(objectiveFromSpec), shard.settings, {
        seed: shard.seed,
        history: shard.history,
        frameEvery: shard.frameEvery,
        bestEvery: shard.bestEvery,
        engine,
        yieldControl: eventTurn,
      }),
      (frame) => emit({ step: frame.step, scores: frame.scores }),
    );
    // With diversity, each image's unit activation without the term (from the float images,
    // which stay here when the shard came from the queue).
    const facets = shard.settings.diversity?.images ?? 1;
    const unit =
      facets > 1
        ? {
            unitScores: await unitScores(
              model,
              shard.specs.flatMap((spec) => Array<ObjectiveSpec>(facets).fill(spec)),
              result.best,
            ),
          }
        : {};
    if (!shard.probability) return { ...result, ...unit };
    // Probabilities are asked for class objectives only (the classes command).
    const classes = shard.specs.map((spec) => (spec.kind === 'class' ? spec.index : 0));
    return {
      ...result,
      ...unit,
      probabilities: await classProbabilities(model, result.best, classes),
    };
  },
);
