/**
 * A download progress bar on stderr (bytes, rate, ETA) built on cli-progress. On a terminal
 * it redraws in place; elsewhere (logs, CI, tests) it prints a line every few seconds and a
 * final line, so a long download never looks hung. `null` sinks are silent (`--quiet`).
 */
import cliProgress from 'cli-progress';

export interface ProgressSink {
  /** Bytes received so far (of `total` when known). */
  update(received: number): void;
  /** Leaves the last state on screen and ends the bar. */
  stop(): void;
}

/** Formats a byte count for people: `58.9 MB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/**
 * Starts a bar for `label` (e.g. the file name). Unknown totals show bytes and rate only.
 * @example const bar = startProgress('vgg16_notop.h5', 58_889_256); bar.update(n); bar.stop();
 */
export function startProgress(
  label: string,
  total: number | undefined,
  stream: NodeJS.WriteStream = process.stderr,
): ProgressSink {
  const started = Date.now();
  const known = total !== undefined && total > 0;
  const format = known
    ? `${label} [{bar}] {percentage}% | {bytes} / {totalBytes} | {rate} | ETA {eta_formatted}`
    : `${label} {bytes} | {rate}`;
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format,
      noTTYOutput: true,
      notTTYSchedule: 5000,
      hideCursor: true,
      etaBuffer: 50,
      barsize: 30,
    },
    cliProgress.Presets.shades_classic,
  );
  const payload = (received: number) => {
    const seconds = Math.max((Date.now() - started) / 1000, 1e-3);
    return {
      bytes: formatBytes(received),
      totalBytes: known ? formatBytes(total) : '?',
      rate: `${formatBytes(received / seconds)}/s`,
    };
  };
  bar.start(known ? total : 1, 0, payload(0));
  let last = 0;
  return {
    update(received) {
      last = received;
      bar.update(known ? Math.min(received, total) : 0, payload(received));
    },
    stop() {
      bar.update(known ? Math.min(last, total) : 0, payload(last));
      bar.stop();
    },
  };
}
