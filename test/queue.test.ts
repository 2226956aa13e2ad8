/**
 * `--queue` end to end, on a real redis-server and three real `convscope worker` processes
 * (test/helpers/queue-cluster.ts): queued runs write the same files as local runs with the same
 * seed and shard layout, survive a worker killed with SIGKILL mid-run and a submitter killed
 * mid-run (rerun resumes, no shard runs twice), and name a shard that fails with its reason.
 */
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.js';
import {
  hasRedis,
  redisRequired,
  kill,
  startCli,
  startCluster,
  waitFor,
  type Cluster,
  type WorkerProcess,
} from './helpers/queue-cluster.js';

if (!hasRedis() && !redisRequired) {
  process.stderr.write('queue tests skipped: no redis-server (scripts/install-redis.sh)\n');
}

let dir: string;
let cluster: Cluster;

/** Every file under `root`, relative, sorted. */
async function files(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
    .sort();
}

/** The manifest without what measures the run rather than its result, and its own folder. */
async function manifest(file: string): Promise<unknown> {
  const text = (await readFile(file, 'utf8')).replaceAll(path.dirname(file), 'OUT');
  const value = JSON.parse(text) as Record<string, unknown>;
  delete value.seconds;
  // A scan's manifest also counts the processes that scanned and their pace.
  if ('imagesPerSecond' in value) {
    delete value.imagesPerSecond;
    delete value.workers;
  }
  return value;
}

/** The two folders hold the same files, byte for byte (manifests: apart from timings). */
async function expectSameOutputs(local: string, queued: string): Promise<void> {
  const names = await files(local);
  expect(names.length).toBeGreaterThan(2);
  expect(await files(queued)).toEqual(names);
  for (const name of names) {
    if (name === 'manifest.json') {
      expect(await manifest(path.join(queued, name))).toEqual(
        await manifest(path.join(local, name)),
      );
      continue;
    }
    const same = (await readFile(path.join(local, name))).equals(
      await readFile(path.join(queued, name)),
    );
    expect(same, `${name} differs`).toBe(true);
  }
}

async function ok(...args: string[]) {
  const result = await cli(...args);
  expect(result.stderr).not.toMatch(/convscope: /);
  expect(result.code).toBe(0);
  return result;
}

/** Lines `job ID (...) <what>` in every worker's log, by job id. */
function jobLines(text: string, what: 'started' | 'done'): Map<string, number> {
  const counts = new Map<string, number>();
  for (const match of text.matchAll(new RegExp(`^job (\\S+) \\(.*\\) ${what}`, 'gm'))) {
    counts.set(match[1], (counts.get(match[1]) ?? 0) + 1);
  }
  return counts;
}

/** Filters of block2_conv2 cut into shards of `batch` items, as a local or a queued run. */
const filtersArgs = (out: string, seed: string, steps: string, batch: string, engine = 'tfjs') => [
  'filters',
  '--layer',
  'block2_conv2',
  '--filters',
  '0-5',
  '--steps',
  steps,
  '--seed',
  seed,
  '--workers',
  '1',
  '--batch',
  batch,
  '--out',
  path.join(dir, out),
  '--engine',
  engine,
];

describe.skipIf(!hasRedis() && !redisRequired)('--queue on BullMQ workers', () => {
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'convscope-queue-'));
    cluster = await startCluster(3);
  });
  afterAll(async () => {
    await cluster?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('filters and classes write the same files as local runs with the same shards', async () => {
    const filters = filtersArgs('f-local', '3', '8', '2').concat('--history', '4');
    const classes = [
      'classes',
      '--class',
      '0-3',
      '--steps',
      '6',
      '--workers',
      '2',
      '--seed',
      '5',
    ].concat(['--engine', 'tfjs']);
    await Promise.all([ok(...filters), ok(...classes, '--out', path.join(dir, 'c-local'))]);
    const queued = await ok(
      ...filtersArgs('f-queued', '3', '8', '2'),
      '--history',
      '4',
      '--queue',
      cluster.url,
    );
    // The run's id is printed (to resume it), never the password.
    expect(queued.stderr).toMatch(/queue run filters-[0-9a-f]{16}: 3 shards on redis:\/\/:\*\*\*@/);
    expect(queued.stderr).not.toContain('test-secret');
    await expectSameOutputs(path.join(dir, 'f-local'), path.join(dir, 'f-queued'));
    await ok(...classes, '--out', path.join(dir, 'c-queued'), '--queue', cluster.url);
    await expectSameOutputs(path.join(dir, 'c-local'), path.join(dir, 'c-queued'));
    const probabilities = (
      JSON.parse(await readFile(path.join(dir, 'c-queued', 'manifest.json'), 'utf8')) as {
        items: { probability: number }[];
      }
    ).items.map((i) => i.probability);
    expect(probabilities.every((p) => p > 0 && p <= 1)).toBe(true);
  });

  it('--diversity runs on the workers as locally: N images per filter, the same files', async () => {
    const diverse = ['--diversity', '2', '--diversity-weight', '1'];
    await ok(...filtersArgs('d-local', '4', '4', '2'), ...diverse);
    await ok(...filtersArgs('d-queued', '4', '4', '2'), ...diverse, '--queue', cluster.url);
    await expectSameOutputs(path.join(dir, 'd-local'), path.join(dir, 'd-queued'));
    const items = (
      JSON.parse(await readFile(path.join(dir, 'd-queued', 'manifest.json'), 'utf8')) as {
        items: { file: string; facet: number; activation: { best: number } }[];
      }
    ).items;
    expect(items.map((i) => i.file).slice(0, 2)).toEqual([
      'block2_conv2_0_d0.png',
      'block2_conv2_0_d1.png',
    ]);
    // The unit's activation without the (negative) diversity term, measured on the worker.
    expect(items.every((i) => i.activation.best >= 0)).toBe(true);
  });

  it('patches writes the same index, manifest and PNGs as a local scan', async () => {
    const images = path.join(dir, 'images');
    await copySamples(images, 20);
    const args = (out: string) => [
      'patches',
      '--images',
      images,
      '--layer',
      'block2_conv1',
      '--filters',
      '0-3',
      '--top',
      '3',
      '--batch',
      '6',
      '--deconv',
      '--engine',
      'tfjs',
      '--out',
      path.join(dir, out),
    ];
    await ok(...args('p-local'), '--workers', '1');
    const queued = await ok(...args('p-queued'), '--queue', cluster.url);
    expect(queued.stderr).toMatch(/scanned 20 images .*queue worker/);
    await expectSameOutputs(path.join(dir, 'p-local'), path.join(dir, 'p-queued'));
  });

  it('a worker killed with SIGKILL mid-run loses nothing: the result is the same', async () => {
    // ONNX Runtime here (tfjs elsewhere): a setup new to the workers, so each first opens the
    // model in a new thread and the shard it starts is surely still running when killed.
    await ok(...filtersArgs('k-local', '7', '40', '1', 'onnx'));
    const mark = marks();
    const args = [...filtersArgs('k-queued', '7', '40', '1', 'onnx'), '--queue', cluster.url];
    const run = startCli(...args);
    // Kill the first worker seen starting one of this run's shards, while it runs it.
    const { worker: victim, job } = await waitForStart(mark);
    await kill(victim.child);
    const { code, stderr } = await run.done;
    expect(stderr).not.toMatch(/convscope: /);
    expect(code).toBe(0);
    expect(victim.log()).not.toMatch(new RegExp(`job ${job} .* done`));
    // Its job ran again on another worker once its lock ran out.
    expect(jobLines(since(mark), 'done').get(job)).toBe(1);
    await expectSameOutputs(path.join(dir, 'k-local'), path.join(dir, 'k-queued'));
    cluster.workers.splice(cluster.workers.indexOf(victim), 1);
    await cluster.startWorker();
  });

  it('a killed submitter: the same command with --resume takes the finished shards', async () => {
    await ok(...filtersArgs('r-local', '11', '30', '1'));
    const mark = marks();
    const args = [...filtersArgs('r-queued', '11', '30', '1'), '--queue', cluster.url];
    const first = startCli(...args);
    await waitFor(() => since(mark), /^job \S+ \(.*\) done/m);
    await kill(first.child);
    const id = first.stderr().match(/--resume (filters-[0-9a-f]{16})/)![1];
    const again = await ok(...args, '--resume', id);
    expect(again.stderr).toMatch(new RegExp(`resuming queue run ${id}`));
    const reused = Number(again.stderr.match(/(\d+) of 6 shards were already done/)![1]);
    expect(reused).toBeGreaterThanOrEqual(1);
    // Every shard ran exactly once, across both submissions.
    const ran = jobLines(since(mark), 'started');
    expect([...ran.keys()].filter((k) => k.startsWith(id)).sort()).toEqual(
      [0, 1, 2, 3, 4, 5].map((s) => `${id}-s${s}`),
    );
    expect([...ran.values()].every((n) => n === 1)).toBe(true);
    await expectSameOutputs(path.join(dir, 'r-local'), path.join(dir, 'r-queued'));
    // A --resume ID that the command's inputs do not make is refused.
    const wrong = await cli(...args, '--seed', '12', '--resume', id);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/--resume filters-\w+ is not this command's run/);
  });

  it('a bad image fails its shard by name with the reason; the other shards complete', async () => {
    const images = path.join(dir, 'bad-images');
    await copySamples(images, 12);
    await writeFile(path.join(images, '0007-broken.png'), 'not a png at all');
    const out = path.join(dir, 'p-bad');
    const result = await cli(
      ...['patches', '--images', images, '--layer', 'block1_conv1', '--batch', '4'],
      ...['--out', out, '--engine', 'tfjs', '--queue', cluster.url],
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /1 of 4 shards of queue run patches-\w+ failed: shard 'images 4-7 \(0004-.*\.png \.\.\. 0007-broken\.png\)' failed after 3 attempts: image \S+0007-broken\.png \(not an image: .*\) is not readable on worker/,
    );
    // The finished shards are saved for the rerun: files 0-3 and 8-12 are scanned.
    const index = JSON.parse(await readFile(path.join(out, 'patches-index.json'), 'utf8')) as {
      layers: Record<string, { scanned: number; ranges?: number[][] }>;
    };
    expect(index.layers.block1_conv1.scanned).toBe(4);
    expect(index.layers.block1_conv1.ranges).toEqual([[8, 13]]);
  });

  it('a wrong password is one line that says so', async () => {
    const url = cluster.url.replace('test-secret', 'wrong');
    const result = await cli(...filtersArgs('pw', '1', '2', '1'), '--queue', url);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /cannot use Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+: wrong password/,
    );
  });
});

/** The first `count` Fashion-MNIST samples (with their names) in `folder`. */
async function copySamples(folder: string, count: number): Promise<void> {
  const source = path.resolve('samples/fashion-mnist');
  const names = (await readdir(source)).filter((n) => n.endsWith('.png')).sort();
  await rm(folder, { recursive: true, force: true });
  await mkdir(folder, { recursive: true });
  for (const name of names.slice(0, count)) {
    await copyFile(path.join(source, name), path.join(folder, name));
  }
}

/** Where each worker's log stands now. */
function marks(): Map<WorkerProcess, number> {
  return new Map(cluster.workers.map((w) => [w, w.log().length]));
}

/** What the workers logged since `mark` (workers started since: all of it). */
function since(mark: Map<WorkerProcess, number>): string {
  return cluster.workers.map((w) => w.log().slice(mark.get(w) ?? 0)).join('\n');
}

/** The first worker that logs a job start after `mark`, and that job's id. */
async function waitForStart(mark: Map<WorkerProcess, number>) {
  const started = (w: WorkerProcess) =>
    w
      .log()
      .slice(mark.get(w) ?? 0)
      .match(/^job (\S+) \(.*\) started/m)?.[1];
  await waitFor(() => (cluster.workers.some(started) ? 'started' : ''), /started/);
  const worker = cluster.workers.find(started)!;
  return { worker, job: started(worker)! };
}
