/**
 * The worker entry of a parallel activation-maximization run (started by maximize-pool.ts):
 * it starts its own single-threaded backend, opens the model once from the options the main
 * thread used (at the run's image size), and optimizes the shards of objectives it is sent,
 * streaming progress frames (step and objective values) back.
 */
import type { VisModel } from '../core/models/vis-model.js';
import { objectiveFromSpec } from '../core/objectives/objective-spec.js';
import { maximize, type MaximizeResult } from '../core/optimize/maximize.js';
import { initBackend } from './backend.js';
import type { MaximizeShard, MaximizeWorkerData, ShardFrame } from './maximize-pool.js';
import { openModel } from './open-model.js';
import { poolWorkerData, serveTasks } from './worker-pool-serve.js';

const setup = poolWorkerData<MaximizeWorkerData>();
let opened: Promise<VisModel> | undefined;
const model = () =>
  (opened ??= initBackend(setup.backend, () => undefined).then(async () => {
    const visModel = await openModel({ ...setup.model, quiet: true });
    const { height, width } = visModel.input;
    if (height === setup.size && width === setup.size) return visModel;
    const resized = await visModel.withInputSize(setup.size, setup.size);
    visModel.dispose();
    return resized;
  }));

serveTasks<MaximizeShard, MaximizeResult, ShardFrame>(async (shard, emit) => {
  let result: MaximizeResult | undefined;
  for await (const frame of maximize(
    await model(),
    shard.specs.map(objectiveFromSpec),
    shard.settings,
    {
      seed: shard.seed,
      history: shard.history,
      yieldControl: () => new Promise<void>((resolve) => setImmediate(resolve)),
    },
  )) {
    emit({ step: frame.step, scores: frame.scores });
    if (frame.result) result = frame.result;
  }
  return result!;
});
