/**
 * `convscope worker --redis URL [--concurrency N]`: serves the shards that `filters`, `classes`
 * and `patches` put on a queue with `--queue URL`, until stopped: one line per job on stderr.
 * SIGINT or SIGTERM stops taking jobs and lets the running ones finish; a second signal gives
 * them back to the queue at once (another worker runs them) and exits; a third exits at once.
 */
import type { Command } from 'commander';
import { ConvscopeError } from '../../core/errors.js';
import { QUEUE_NAME, checkRedis, checkRedisUrl, redactUrl } from '../../node/queue/connection.js';
import { serveQueue } from '../../node/queue/serve.js';
import { action } from '../common.js';
import { positiveInt } from '../option-values.js';

interface WorkerOptions {
  redis: string;
  concurrency: string;
  lockSeconds: string;
  quiet?: boolean;
}

export function addWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('serve queued shards of filters, classes and patches (--queue) until stopped')
    .requiredOption(
      '--redis <url>',
      'the Redis URL: redis://[:password@]host:port[/db], rediss:// for TLS',
    )
    .option('--concurrency <n>', 'jobs at once, one worker thread each', '1')
    .option(
      '--lock-seconds <s>',
      "how long a job stays locked without renewal: a killed worker's job runs again after about twice this",
      '30',
    )
    .option('--quiet', 'no line per job')
    .action(
      action(async (options: WorkerOptions) => {
        const url = checkRedisUrl(options.redis, '--redis');
        const concurrency = positiveInt(options.concurrency, '--concurrency')!;
        const lockSeconds = Number(options.lockSeconds);
        if (!Number.isFinite(lockSeconds) || lockSeconds < 1) {
          throw new ConvscopeError(
            `--lock-seconds must be a number of seconds, at least 1, got '${options.lockSeconds}'`,
          );
        }
        await checkRedis(url, '--redis');
        const log = (line: string) => process.stderr.write(`${line}\n`);
        const worker = serveQueue({
          url,
          concurrency,
          lockSeconds,
          log: options.quiet ? undefined : log,
        });
        await worker.ready;
        log(
          `worker ${process.pid} serves ${QUEUE_NAME} on ${redactUrl(url)} with ${concurrency} thread${concurrency === 1 ? '' : 's'} (Ctrl-C stops it)`,
        );
        await new Promise<void>((resolve) => {
          let signals = 0;
          const onSignal = () => {
            signals++;
            if (signals === 1) {
              log(
                'stopping: finishing the running jobs (signal again to give them back to the queue)',
              );
              void worker.stop().then(resolve);
            } else if (signals === 2) {
              log('giving the running jobs back to the queue (signal again to exit now)');
              void worker.release().then(resolve);
            } else {
              // Redis gone: closing waits for it forever; the jobs' locks run out instead.
              process.exit(130);
            }
          };
          process.on('SIGINT', onSignal);
          process.on('SIGTERM', onSignal);
        });
        log('worker stopped');
        // Nothing is left to do; a client still reconnecting must not keep the process up.
        process.exit(0);
      }),
    );
}
