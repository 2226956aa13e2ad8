/**
 * `convscope serve [--port 8080] [--host 127.0.0.1] [--model M] [--patches DIR...] [--atlas SITE]`:
 * the live workbench (and an atlas at /atlas/). Starts the HTTP server of src/server (the built web app plus models, samples and
 * patch runs), prints its URL on stdout (`--json`: `{ "url", "port" }` on one line), warns on
 * stderr when it listens beyond this machine, and runs until SIGINT or SIGTERM, then closes
 * cleanly (exit code 0). The hidden `--app-dir` (or CONVSCOPE_APP_DIR) serves another build of
 * the web app, for tests and for working on the app.
 */
import { Option, type Command } from 'commander';
import { ConvscopeError } from '../../core/errors.js';
import { DEFAULT_MAX_UPLOAD_BYTES, isLoopback, startServer } from '../../server/serve.js';
import { DEFAULT_MAX_DECODE_PIXELS } from '../../server/upload.js';
import { action } from '../common.js';

interface ServeCommandOptions {
  port: string;
  host: string;
  model?: string;
  patches?: string[];
  atlas?: string;
  maxUpload: string;
  maxPixels: string;
  appDir?: string;
  json?: boolean;
  quiet?: boolean;
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text.trim()) || port > 65535) {
    throw new ConvscopeError(`invalid --port '${text}'`, 'use 1-65535, or 0 for any free port');
  }
  return port;
}

function parseMegabytes(text: string): number {
  const megabytes = Number(text);
  if (!Number.isFinite(megabytes) || megabytes <= 0) {
    throw new ConvscopeError(`invalid --max-upload '${text}'`, 'give a size in MB, e.g. 32');
  }
  return Math.round(megabytes * 1024 * 1024);
}

function parseMegapixels(text: string): number {
  const megapixels = Number(text);
  if (!Number.isFinite(megapixels) || megapixels <= 0) {
    throw new ConvscopeError(`invalid --max-pixels '${text}'`, 'give megapixels, e.g. 64');
  }
  return Math.round(megapixels * 1e6);
}

/** Listens for SIGINT and SIGTERM (from now on, so none is missed while starting). */
function signals(): { stopped: Promise<NodeJS.Signals>; dispose(): void } {
  let resolve: (signal: NodeJS.Signals) => void = () => {};
  const stopped = new Promise<NodeJS.Signals>((r) => (resolve = r));
  const dispose = () => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  };
  const stop = (signal: NodeJS.Signals) => {
    dispose();
    resolve(signal);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return { stopped, dispose };
}

async function serve(options: ServeCommandOptions): Promise<void> {
  const port = parsePort(options.port);
  const maxUploadBytes = parseMegabytes(options.maxUpload);
  const maxDecodePixels = parseMegapixels(options.maxPixels);
  if (!isLoopback(options.host)) {
    process.stderr.write(
      `warning: listening on ${options.host}: anyone who can reach this machine on the network ` +
        'can use the workbench and download its models (--host 127.0.0.1 keeps it local). ' +
        'Browsers on other machines get plain http, which is not a secure context: no ' +
        'cross-origin isolation there, so WASM runs single-threaded.\n',
    );
  }
  const { stopped, dispose } = signals();
  const server = await startServer({
    host: options.host,
    port,
    model: options.model,
    patches: options.patches,
    atlas: options.atlas,
    maxUploadBytes,
    maxDecodePixels,
    appDir: options.appDir ?? (process.env.CONVSCOPE_APP_DIR || undefined),
  }).catch((error: unknown) => {
    dispose();
    throw error;
  });
  if (options.json)
    process.stdout.write(`${JSON.stringify({ url: server.url, port: server.port })}\n`);
  else process.stdout.write(`convscope workbench: ${server.url}\n`);
  if (options.atlas && !options.quiet && !options.json)
    process.stderr.write(`atlas: ${server.url}atlas/\n`);
  if (!options.quiet && !options.json) process.stderr.write('press Ctrl+C to stop\n');
  const signal = await stopped;
  if (!options.quiet) process.stderr.write(`${signal}: stopping the server\n`);
  await server.close();
}

/** Registers `serve`. */
export function addServeCommand(program: Command): void {
  program
    .command('serve')
    .description('the live web workbench: serves the app, models and samples over HTTP')
    .option('--port <n>', 'port to listen on (0 picks a free one)', '8080')
    .option(
      '--host <address>',
      'address to listen on (0.0.0.0: every network interface)',
      '127.0.0.1',
    )
    .option(
      '--model <spec>',
      'default model: a model.json folder or file, an http(s) URL, or a cached zoo name',
    )
    .option('--patches <dir...>', 'output folders of `convscope patches` to browse')
    .option(
      '--atlas <site>',
      'a site built by `convscope atlas`, served at /atlas/ with links to the live view',
    )
    .option(
      '--max-upload <MB>',
      'largest image the server decodes for the browser',
      String(DEFAULT_MAX_UPLOAD_BYTES / (1024 * 1024)),
    )
    .option(
      '--max-pixels <MP>',
      'largest image (width x height, megapixels) the server decodes for the browser',
      String(DEFAULT_MAX_DECODE_PIXELS / 1e6),
    )
    .option('--json', 'print { "url" } as JSON on stdout')
    .option('--quiet', 'no notes on stderr')
    .option('--verbose', 'show stack traces on errors')
    .addOption(new Option('--app-dir <dir>', 'the built web app to serve').hideHelp())
    .action(action(async (options: ServeCommandOptions) => serve(options)));
}
