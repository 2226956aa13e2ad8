/**
 * The submitting side of a queued run against a real redis-server, with a bare BullMQ worker
 * in this process standing in for `convscope worker`: it answers at once, so results arrive
 * while the submitter is reading them (the race that once failed a CI run with "Cannot read
 * properties of null (reading 'worker')"), and it can answer what no convscope worker would.
 */
import { Worker, type Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConvscopeError } from '../src/core/errors.js';
import { QUEUE_NAME, redisClient } from '../src/node/queue/connection.js';
import { queueRunner } from '../src/node/queue/submit.js';
import type { PoolEvent } from '../src/node/worker-pool.js';
import { hasRedis, redisRequired, startCluster, type Cluster } from './helpers/queue-cluster.js';

async function drain<T, R>(events: AsyncIterable<PoolEvent<T, R, never>>): Promise<Map<number, R>> {
  const results = new Map<number, R>();
  for await (const event of events)
    if (event.type === 'result') results.set(event.index, event.value);
  return results;
}

describe.skipIf(!hasRedis() && !redisRequired)('queueRunner on a real Redis', () => {
  let cluster: Cluster;
  let worker: Worker | null = null;
  let answer: (job: Job) => unknown;
  const client = () => redisClient(cluster.url);

  beforeAll(async () => {
    cluster = await startCluster(0);
    worker = new Worker(QUEUE_NAME, async (job: Job) => answer(job), {
      connection: client(),
      concurrency: 8,
    });
    await worker.waitUntilReady();
  }, 60_000);

  afterAll(async () => {
    await worker?.close();
    await cluster?.stop();
  });

  const runner = (command: string) =>
    queueRunner<number, number>({
      url: cluster.url,
      command,
      job: 'maximize',
      setup: { test: command },
      shardKey: (task) => String(task),
      shardName: (task) => `shard ${task}`,
      fromJob: (value) => value as number,
    });

  it('takes every result of shards that finish as fast as they are queued', async () => {
    answer = (job) =>
      job.name === 'assemble' ? null : { worker: 'test:1', result: (job.data.task as number) * 2 };
    const tasks = Array.from({ length: 40 }, (_, i) => i);
    const run = runner('fast');
    const results = await drain(run(tasks, {}));
    expect([...results.keys()].sort((a, b) => a - b)).toEqual(tasks);
    for (const [index, value] of results) expect(value).toBe(tasks[index] * 2);
    expect([...run.stats.workers]).toEqual(['test:1']);
  }, 60_000);

  it('names a shard that completed without a result instead of failing on it', async () => {
    answer = (job) =>
      job.name === 'assemble' || job.data.task === 1
        ? null
        : { worker: 'test:1', result: job.data.task };
    const run = runner('no-result');
    const error = await drain(run([0, 1, 2], {})).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConvscopeError);
    expect((error as Error).message).toMatch(
      /1 of 3 shards .* failed: shard 'shard 1' completed without a result/,
    );
  }, 60_000);
});
