/**
 * The worker entry of a parallel patch scan (started by patches-scan.ts through worker-pool.ts):
 * it opens the model once (worker-model.ts) and scans the shards it is sent (patches-shard.ts).
 */
import { scanShard, type PatchesWorkerData, type ShardTask } from './patches-shard.js';
import { serveModelTasks } from './worker-model.js';

serveModelTasks<PatchesWorkerData, ShardTask, Awaited<ReturnType<typeof scanShard>>>(
  (shard, { model, engine }) => scanShard(model, shard, engine),
);
