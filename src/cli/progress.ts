/**
 * Progress bars on stderr (cli-progress) for long commands: a bar with count, rate and ETA
 * when stderr is a terminal, and nothing when `--quiet` is given or stderr is redirected, so
 * logs and `--json` output stay clean.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, payload?: Record<string, string | number>): void;
  stop(): void;
}

/**
 * Starts a bar over `total` items of `unit` (e.g. 'images', 'steps').
 * @example const bar = startProgress(files.length, 'images', options.quiet)
 */
export function startProgress(total: number, unit: string, quiet = false, extra = ''): Progress {
  if (quiet || !process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    {
      format: `{bar} {value}/{total} ${unit} | {rate} ${unit}/s | ETA {eta_formatted}${extra}`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  const start = performance.now();
  bar.start(total, 0, { rate: '0.0' });
  return {
    update(done, payload = {}) {
      const seconds = (performance.now() - start) / 1000;
      bar.update(done, { rate: (done / Math.max(seconds, 1e-3)).toFixed(1), ...payload });
    },
    stop: () => bar.stop(),
  };
}
