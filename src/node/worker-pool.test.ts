/**
 * The worker pool on a test worker (test/helpers/pool-test-worker.ts): every task ends with
 * exactly one result or failure, a task whose worker throws or exits once is retried and
 * succeeds, one that fails twice is reported, and abort stops every worker.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { TestTask } from '../../test/helpers/pool-test-worker.js';
import { runPool, siblingScript, type PoolEvent } from './worker-pool.js';

const script = new URL('../../test/helpers/pool-test-worker.ts', import.meta.url);

async function collect<T, R, F>(events: AsyncIterable<PoolEvent<T, R, F>>) {
  const all: PoolEvent<T, R, F>[] = [];
  for await (const event of events) all.push(event);
  return all;
}

describe('worker pool', () => {
  it('resolves worker scripts beside the caller, .ts from sources and .js from dist', () => {
    expect(fileURLToPath(siblingScript('file:///p/src/node/a.ts', 'w'))).toBe('/p/src/node/w.ts');
    expect(fileURLToPath(siblingScript('file:///p/dist/node/a.js', 'w'))).toBe('/p/dist/node/w.js');
  });

  it('retries a task once after a throw or an exit, reports one that fails twice, never duplicates', async () => {
    const modes: Record<number, TestTask['mode']> = { 3: 'throw-once', 5: 'exit-once', 7: 'throw' };
    const tasks: TestTask[] = Array.from({ length: 12 }, (_, n) => ({ n, mode: modes[n] ?? 'ok' }));
    const shared = new SharedArrayBuffer(4 * (tasks.length + 1));
    const events = await collect(
      runPool<TestTask, number, string>(tasks, { script, workerData: shared, size: 2 }),
    );
    const results = events.flatMap((e) => (e.type === 'result' ? [e] : []));
    const failed = events.flatMap((e) => (e.type === 'failed' ? [e] : []));
    expect(results.map((e) => e.index).sort((a, b) => a - b)).toEqual(
      tasks.map((t) => t.n).filter((n) => n !== 7),
    );
    for (const e of results) expect(e.value).toBe(e.task.n * 2);
    expect(failed).toEqual([
      { type: 'failed', index: 7, task: tasks[7], error: 'boom 7', attempts: 2 },
    ]);
    const attempts = Array.from(new Int32Array(shared)).slice(0, tasks.length);
    expect(attempts).toEqual(tasks.map((t) => (t.mode === 'ok' ? 1 : 2)));
    // Frames stream before their task's end, tagged with the attempt they belong to.
    const frames = events.filter((e) => e.type === 'frame' && e.index === 3);
    expect(frames.map((e) => (e.type === 'frame' ? [e.attempt, e.frame] : []))).toEqual([
      [1, 'start 3'],
      [2, 'start 3'],
    ]);
    const endOf = (i: number) => events.findIndex((e) => e.type !== 'frame' && e.index === i);
    const firstFrame = (i: number) => events.findIndex((e) => e.type === 'frame' && e.index === i);
    for (const t of tasks) expect(firstFrame(t.n)).toBeLessThan(endOf(t.n));
  });

  it('stops every worker on abort', async () => {
    const tasks: TestTask[] = [0, 1, 2].map((n) => ({ n, mode: 'hang' }));
    const shared = new SharedArrayBuffer(4 * (tasks.length + 1));
    const beats = new Int32Array(shared);
    const controller = new AbortController();
    const pool = runPool<TestTask, number, string>(tasks, {
      script,
      workerData: shared,
      size: 2,
      signal: controller.signal,
    });
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const event of pool) {
          if (event.type === 'frame') seen.push(event.index);
          if (seen.length === 2) setTimeout(() => controller.abort(), 100);
        }
      })(),
    ).rejects.toThrow(/abort/i);
    expect(seen.sort()).toEqual([0, 1]);
    const before = Atomics.load(beats, tasks.length);
    expect(before).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(Atomics.load(beats, tasks.length)).toBe(before);
  });

  it('finishes at once with no tasks', async () => {
    expect(await collect(runPool([], { script }))).toEqual([]);
  });
});
