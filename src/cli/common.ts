/**
 * What every command shares: the global model options of CLI.md, opening the model on the
 * chosen backend, JSON vs table output, and error handling (one line and a non-zero exit for
 * a ConvscopeError; the stack trace only with --verbose).
 */
import type { Command } from 'commander';
import { ConvscopeError } from '../core/errors.js';
import type { NetworkEngine } from '../core/engines/network-engine.js';
import type { VisModel } from '../core/models/vis-model.js';
import { initBackend } from '../node/backend.js';
import { checkEngineChoice, createEngine, parseThreads } from '../node/engine.js';
import { openModel, type ModelOptions } from '../node/open-model.js';
import { applyAliases } from './option-aliases.js';

export interface GlobalOptions extends ModelOptions {
  backend: string;
  engine: string;
  threads?: string;
  seed?: string;
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

/**
 * Adds the model and output options every model command takes; `--seed` only where something
 * is random (`{ seed: true }`), so that elsewhere it is refused rather than silently ignored.
 */
export function withModelOptions(
  command: Command,
  { seed = false, ownSize = false } = {},
): Command {
  if (seed) command.option('--seed <n>', 'random seed (default 0)');
  // filters and classes have their own --size (the image they render, which also sizes an ONNX
  // model); elsewhere --size only sets an ONNX model's input, and is refused for other models.
  if (!ownSize) {
    command.option('--size <px>', 'input size of an ONNX model exported with dynamic height/width');
    command.hook('preAction', (cmd) => {
      if (cmd.opts().size !== undefined) cmd.setOptionValue('onnxSizeOnly', true);
    });
  }
  return command
    .option(
      '--model <spec>',
      'embedded, a zoo name (vgg16, vgg16-notop, vgg19, vgg19-notop), a model.json path/dir or URL, a Keras .h5 file with --arch, or an ONNX file (model.onnx, from torch.onnx.export)',
      'embedded',
    )
    .option(
      '--labels <file>',
      'class names: a JSON array or one per line (default: labels.json beside the model)',
    )
    .option(
      '--weights <which>',
      "'none' builds a zoo architecture with random weights (no download)",
    )
    .option('--arch <name>', 'zoo architecture of a Keras .h5 weights file, e.g. vgg16-notop')
    .option(
      '--input-range <lo,hi>',
      'raw input range the model expects (default 0,1 for TF.js files)',
    )
    .option('--preprocess <mode>', 'caffe | torch | tf | none')
    .option(
      '--engine <name>',
      'auto (ONNX Runtime when the model lowers to it, else TF.js) | onnx | tfjs',
      'auto',
    )
    .option('--threads <n>', "ONNX Runtime's threads (default: every core)")
    .option('--backend <name>', 'TF.js backend: wasm | cpu', 'wasm')
    .option('--json', 'machine-readable result on stdout')
    .option('--quiet', 'no progress output')
    .option('--verbose', 'show stack traces on errors');
}

/**
 * Starts the backend, opens the model named by the options and picks the engine that runs it
 * (`--engine`; `auto` notes a fallback to TF.js on stderr unless --quiet or --json).
 */
export async function setUp(
  options: GlobalOptions,
): Promise<{ model: VisModel; backend: string; engine: NetworkEngine }> {
  const choice = checkEngineChoice(options.engine ?? 'auto');
  if (choice === 'tfjs' && options.threads !== undefined) {
    throw new ConvscopeError(
      "--threads sets ONNX Runtime's threads; --engine tfjs does not use them",
      'leave --threads out, or use --engine auto or onnx',
    );
  }
  const threads = parseThreads(options.threads);
  const backend = await initBackend(options.backend);
  const model = await openModel(options);
  const quiet = options.quiet || options.json;
  const engine = await createEngine(model, choice, {
    threads,
    note: (m) => (quiet ? undefined : process.stderr.write(`${m}\n`)),
  });
  return { model, backend, engine };
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Left-aligned text table with a header row. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** Wraps a command's action: errors become one line on stderr and exit code 1 (2 for bugs). */
export function action<A extends unknown[]>(
  run: (...args: A) => Promise<void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const command = args[args.length - 1] as Command;
    const verbose = Boolean(command.opts?.().verbose) || process.argv.includes('--verbose');
    try {
      if (typeof command.opts === 'function') applyAliases(command, command.opts());
      await run(...args);
    } catch (error) {
      if (error instanceof ConvscopeError) {
        process.stderr.write(
          `convscope: ${error.message}${error.hint ? ` (${error.hint})` : ''}\n`,
        );
        if (verbose && error.stack) process.stderr.write(`${error.stack}\n`);
        process.exitCode = 1;
      } else {
        const message = error instanceof Error ? error.message : String(error);
        process.stderr.write(`convscope: unexpected error: ${message}\n`);
        process.stderr.write(
          verbose && error instanceof Error
            ? `${error.stack}\n`
            : 'run again with --verbose for details\n',
        );
        process.exitCode = 2;
      }
    }
  };
}
