/**
 * How a worker thread opens its model: its own single-threaded TF.js backend, the model from
 * the same serializable options the main thread used (resized to the run's image size when
 * one is given), and the engine the main thread chose (ONNX Runtime with its share of the
 * threads, or TF.js). `serveModelTasks` is the whole start-up of the activation-maximization
 * and patch-scan workers.
 */
import type { NetworkEngine } from '../core/engines/network-engine.js';
import type { VisModel } from '../core/models/vis-model.js';
import { initBackend } from './backend.js';
import { createEngine } from './engine.js';
import { openModel, type ModelOptions } from './open-model.js';
import { poolWorkerData, serveTasks } from './worker-pool-serve.js';

export interface WorkerModelSetup {
  model: ModelOptions;
  backend: string;
  /** Render at this square size (models that take any size are resized to it). */
  size?: number;
  /** The engine (default tfjs) and its threads (default 1). */
  engine?: 'tfjs' | 'onnx';
  threads?: number;
}

/** Opens the model and its engine once per worker (later calls get the same promise). */
export function workerModel(
  setup: WorkerModelSetup,
): () => Promise<{ model: VisModel; engine: NetworkEngine }> {
  let opened: Promise<{ model: VisModel; engine: NetworkEngine }> | undefined;
  return () =>
    (opened ??= initBackend(setup.backend, () => undefined).then(async () => {
      let model = await openModel({ ...setup.model, quiet: true });
      const { height, width } = model.input;
      if (setup.size !== undefined && (height !== setup.size || width !== setup.size)) {
        const resized = await model.withInputSize(setup.size, setup.size);
        model.dispose();
        model = resized;
      }
      const engine = await createEngine(model, setup.engine ?? 'tfjs', {
        threads: setup.threads ?? 1,
        note: () => undefined,
      });
      return { model, engine };
    }));
}

/** The model and engine a worker opened. */
export type OpenedModel = { model: VisModel; engine: NetworkEngine };

/**
 * The whole start-up of a model worker: read the pool's `workerData`, open the model once
 * (lazily, on the first task) and serve every task with it.
 *
 * @example serveModelTasks<PatchesWorkerData, ShardTask, ShardResult>(
 *   async (shard, { model, engine }) => scanShard(model, shard, engine));
 */
export function serveModelTasks<D extends WorkerModelSetup, T, R, F = never>(
  handler: (task: T, opened: OpenedModel, emit: (frame: F) => void) => Promise<R> | R,
): void {
  const open = workerModel(poolWorkerData<D>());
  serveTasks<T, R, F>(async (task, emit) => handler(task, await open(), emit));
}
