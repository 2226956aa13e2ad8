/**
 * Bench cases for `--queue` (BullMQ on Redis), on this machine: a redis-server on a free
 * loopback port and `convscope worker` processes started here, the submitter in this process.
 *
 * - queue-overhead: the same activation-maximization shards (embedded model, TF.js, one filter
 *   of block2_conv2 per shard) on 2 local worker threads and on 2 warm worker processes: the
 *   cost of one more 1-step shard (almost all overhead: job round trip, PNG encoding, Redis),
 *   from runs of 8 and 24 shards, what a run costs besides its shards, and 8 shards of 32 steps.
 * - queue-scan-scaling: a patch scan (VGG16 without its top, random weights, 224 px, TF.js, one
 *   thread per process, 48 images in shards of 8) with 1, 2 and 3 worker processes, beside the
 *   same scan on 2 local worker threads: images/s.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { getPreset } from '../src/core/optimize/presets.js';
import { applyOverrides } from '../src/core/optimize/setting-options.js';
import { maximizeOnPool, type MaximizeWorkerData } from '../src/node/maximize-pool.js';
import { openModel } from '../src/node/open-model.js';
import { scanPatches } from '../src/node/patches-scan.js';
import { maximizeRunner, scanRunner } from '../src/node/queue/runners.js';

export interface QueueResult {
  case: string;
  value: number;
  unit: string;
  details: Record<string, number>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function waitForLine(child: ChildProcess, stream: 'stdout' | 'stderr', text: string) {
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    child[stream]!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes(text)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`exited (${code}) before '${text}': ${seen}`)));
  });
}

/** redis-server and a way to start `convscope worker` processes (from sources, with tsx). */
async function startQueue() {
  const port = await freePort();
  const redis = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', ''],
    {
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  await waitForLine(redis, 'stdout', 'Ready to accept connections');
  const url = `redis://127.0.0.1:${port}`;
  const workers: ChildProcess[] = [];
  return {
    url,
    async workers(n: number) {
      while (workers.length < n) {
        const child = spawn(
          process.execPath,
          ['--import', 'tsx', 'src/cli/main.ts', 'worker', '--redis', url, '--quiet'],
          { stdio: ['ignore', 'ignore', 'pipe'] },
        );
        await waitForLine(child, 'stderr', 'serves convscope');
        workers.push(child);
      }
      while (workers.length > n) workers.pop()!.kill('SIGTERM');
    },
    stop() {
      for (const child of workers) child.kill('SIGTERM');
      redis.kill('SIGTERM');
    },
  };
}

const seconds = async (work: () => Promise<unknown>) => {
  const start = performance.now();
  await work();
  return (performance.now() - start) / 1000;
};

/** queue-overhead: local threads against queued processes, the same 8 shards. */
export async function queueOverheadCase(): Promise<QueueResult> {
  const queue = await startQueue();
  try {
    await queue.workers(2);
    const workerData: MaximizeWorkerData = {
      model: { model: 'embedded' },
      backend: 'wasm',
      size: 28,
      engine: 'tfjs',
      threads: 1,
    };
    const specs = (n: number) =>
      Array.from({ length: n }, (_, channel) => ({
        kind: 'channel' as const,
        layer: 'block2_conv2',
        channel,
      }));
    const run = (shards: number, steps: number, queued: boolean, seed: number) =>
      maximizeOnPool({
        specs: specs(shards),
        settings: applyOverrides(getPreset('lucid').settings, { steps }),
        seed,
        history: 0,
        workers: 2,
        batchSize: 1,
        workerData,
        ...(queued
          ? { runShards: maximizeRunner({ url: queue.url }, 'filters', workerData, false) }
          : {}),
      });
    // Warm the workers' threads (each opens the model once), as a running fleet is; local
    // runs start their threads each time, as `filters --workers 2` does.
    await run(4, 1, true, 100);
    const details: Record<string, number> = {};
    for (const mode of ['local', 'queue']) {
      const queued = mode === 'queue';
      const few = await seconds(() => run(8, 1, queued, 1));
      const many = await seconds(() => run(24, 1, queued, 2));
      // The cost of one more shard (the slope) and what a run costs besides its shards.
      const perShard = (many - few) / 16;
      details[`${mode}-ms-per-shard`] = perShard * 1000;
      details[`${mode}-fixed-s`] = few - 8 * perShard;
      details[`${mode}-8x32-steps-s`] = await seconds(() => run(8, 32, queued, 3));
    }
    return {
      case: 'queue-overhead',
      value: details['queue-ms-per-shard'] - details['local-ms-per-shard'],
      unit: 'ms per shard more than local worker threads (1-step shards)',
      details,
    };
  } finally {
    queue.stop();
  }
}

/** queue-scan-scaling: images/s of one VGG16 scan with 1, 2 and 3 worker processes. */
export async function queueScanScalingCase(): Promise<QueueResult> {
  const folder = path.resolve('samples/fashion-mnist');
  const files = (await readdir(folder))
    .filter((n) => n.endsWith('.png'))
    .sort()
    .slice(0, 48)
    .map((n) => path.join(folder, n));
  const options = { model: 'vgg16-notop', weights: 'none' };
  const model = await openModel({ ...options, quiet: true });
  const layers = ['block5_pool'];
  const worker = { model: options, backend: 'wasm', engine: 'tfjs' as const, threads: 1 };
  const queue = await startQueue();
  const scan = (runShards?: ReturnType<typeof scanRunner>, list = files, batch = 8) =>
    scanPatches(model, list, layers, {
      k: 9,
      batch,
      workers: 2,
      worker,
      ...(runShards ? { runShards } : {}),
    });
  const queued = (list = files, batch = 8) =>
    scan(scanRunner({ url: queue.url }, worker, { list, batch }), list, batch);
  try {
    const details: Record<string, number> = {};
    details['local-2-threads'] = files.length / (await seconds(() => scan()));
    for (const n of [1, 2, 3]) {
      await queue.workers(n);
      // Every process opens VGG16 once before it is timed (one-image shards, 2 per process).
      await queued(files.slice(0, 2 * n), 1);
      details[`queue-${n}-workers`] = files.length / (await seconds(() => queued()));
    }
    return {
      case: 'queue-scan-scaling',
      value: details['queue-2-workers'],
      unit: 'images/s (2 worker processes)',
      details,
    };
  } finally {
    queue.stop();
    model.dispose();
  }
}
