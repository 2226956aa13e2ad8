/**
 * The worker entry of a parallel patch scan (started by patches-scan.ts through worker-pool.ts):
 * it starts its own single-threaded backend, opens the model once from the same serializable
 * options the main thread used, and scans the shards it is sent (see patches-shard.ts).
 */
import type { VisModel } from '../core/models/vis-model.js';
import { initBackend } from './backend.js';
import { openModel } from './open-model.js';
import { scanShard, type PatchesWorkerData, type ShardTask } from './patches-shard.js';
import { poolWorkerData, serveTasks } from './worker-pool-serve.js';

const setup = poolWorkerData<PatchesWorkerData>();
let model: Promise<VisModel> | undefined;
const opened = () =>
  (model ??= initBackend(setup.backend, () => undefined).then(() =>
    openModel({ ...setup.model, quiet: true }),
  ));

serveTasks(async (shard: ShardTask) => scanShard(await opened(), shard));
