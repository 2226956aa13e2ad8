/**
 * A real queue for the queue tests: Debian's `redis-server` on a free loopback port (with a
 * password, so the URL's credentials are exercised) and `convscope worker` processes run from
 * the compiled CLI, as a person would start them. Nothing is mocked. Each worker's stderr (one
 * line per job) is kept, so tests can count which shards ran where.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { BIN } from './cli.js';

/** CI sets this: a missing redis-server fails the queue tests instead of skipping them. */
export const redisRequired = process.env.CONVSCOPE_REQUIRE_REDIS === '1';

/** Whether `redis-server` is installed (scripts/install-redis.sh installs it). */
export function hasRedis(): boolean {
  return spawnSync('redis-server', ['--version']).status === 0;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Resolves once `text` appears in what `read()` returns, or rejects after `ms`. */
export async function waitFor(read: () => string, pattern: RegExp, ms = 60_000): Promise<string> {
  const start = Date.now();
  for (;;) {
    const match = read().match(pattern);
    if (match) return match[0];
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${pattern}:\n${read()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface WorkerProcess {
  child: ChildProcess;
  /** Its stderr so far. */
  log: () => string;
}

export interface Cluster {
  url: string;
  workers: WorkerProcess[];
  startWorker(): Promise<WorkerProcess>;
  /** Every worker's log, joined. */
  logs(): string;
  stop(): Promise<void>;
}

/** Kills `child` and waits for it to exit. */
export async function kill(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await exited;
}

/**
 * Starts redis-server and `workers` `convscope worker` processes (2 s locks, so a killed
 * worker's job runs again within seconds).
 */
export async function startCluster(workers: number, password = 'test-secret'): Promise<Cluster> {
  const port = await freePort();
  const redis = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'].concat([
      '--requirepass',
      password,
    ]),
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let redisOut = '';
  redis.stdout!.on('data', (chunk: Buffer) => (redisOut += chunk.toString()));
  await waitFor(() => redisOut, /Ready to accept connections/, 20_000);
  const url = `redis://:${password}@127.0.0.1:${port}`;
  const all: WorkerProcess[] = [];
  const startWorker = async (): Promise<WorkerProcess> => {
    const child = spawn('node', [BIN, 'worker', '--redis', url, '--lock-seconds', '2'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let text = '';
    child.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const worker = { child, log: () => text };
    all.push(worker);
    await waitFor(worker.log, /serves convscope/);
    return worker;
  };
  for (let i = 0; i < workers; i++) await startWorker();
  return {
    url,
    workers: all,
    startWorker,
    logs: () => all.map((w) => w.log()).join('\n'),
    async stop() {
      await Promise.all(all.map((w) => kill(w.child, 'SIGTERM')));
      await kill(redis, 'SIGTERM');
    },
  };
}

/** `convscope ...args` started in the background, with its output collected. */
export function startCli(...args: string[]): {
  child: ChildProcess;
  stderr: () => string;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
} {
  const child = spawn('node', [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once('exit', (code) => resolve({ code, stdout, stderr })),
  );
  return { child, stderr: () => stderr, done };
}
