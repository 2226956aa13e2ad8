/**
 * The worker entry of a parallel patch scan (started by patches-scan.ts through worker-pool.ts):
 * it opens the model once (worker-model.ts) and scans the shards it is sent (patches-shard.ts).
 */
import { scanShard, type PatchesWorkerData, type ShardTask } from './patches-shard.js';
import { poolWorkerData, serveTasks } from './worker-pool-serve.js';
import { workerModel } from './worker-model.js';

const opened = workerModel(poolWorkerData<PatchesWorkerData>());

serveTasks(async (shard: ShardTask) => {
  const { model, engine } = await opened();
  return scanShard(model, shard, engine);
});
