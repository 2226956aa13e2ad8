/**
 * `startServer`: the HTTP server of the live workbench (`convscope serve`). The web app runs
 * every computation in the browser; this server only hands out the built app (`dist/web`), the
 * model files (embedded, cached zoo models, `--model`), the sample images, patch runs
 * (`--patches`), and decodes images the browser cannot (`POST /api/decode`). Plain `node:http`;
 * see routes.ts for the URL map and static-roots.ts for how paths are kept inside their roots.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { ConvscopeError } from '../core/errors.js';
import type { Env } from '../node/cache/cache-paths.js';
import { EMBEDDED_DIR, PACKAGE_ROOT } from '../node/open-model.js';
import { createModelCatalog } from './model-catalog.js';
import { loadPatchSources } from './patch-sources.js';
import { SECURITY_HEADERS } from './responses.js';
import { createHandler } from './routes.js';
import { loadAtlasSite } from './atlas-site.js';
import { sampleLister } from './samples.js';
import {
  DecodeSlots,
  DEFAULT_MAX_CONCURRENT_DECODES,
  DEFAULT_MAX_DECODE_PIXELS,
} from './upload.js';

export interface ServeOptions {
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** Port (default 8080; 0 picks a free one). */
  port?: number;
  /** The built web app, a folder with index.html (default `<package root>/dist/web`). */
  appDir?: string;
  /** A TF.js model (folder with model.json, or a model.json), URL or cached zoo name: the default. */
  model?: string;
  /** Output folders of `convscope patches` (each with manifest.json and PNGs). */
  patches?: string[];
  /** A site written by `convscope atlas`, served under `/atlas/`. */
  atlas?: string;
  /** Largest body `POST /api/decode` accepts (default 32 MiB). */
  maxUploadBytes?: number;
  /** Largest image (width x height) `POST /api/decode` decodes (default 64 MP). */
  maxDecodePixels?: number;
  /** Decodes that may run at once; more are answered 503 (default 2). */
  maxConcurrentDecodes?: number;
  /** Cache environment (CONVSCOPE_CACHE, ...), default process.env. */
  env?: Env;
  /** Where unexpected request errors are reported (default: a line on stderr). */
  log?: (line: string) => void;
}

export interface RunningServer {
  /** `http://HOST:PORT/` */
  url: string;
  port: number;
  /** Stops listening, ends open connections, resolves when the server is closed. */
  close(): Promise<void>;
}

export const DEFAULT_APP_DIR = path.join(PACKAGE_ROOT, 'dist', 'web');
export const DEFAULT_MAX_UPLOAD_BYTES = 32 * 1024 * 1024;

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return (
    h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || /^::ffff:127\./.test(h)
  );
}

/** The URL to print for a listening address (unspecified addresses become loopback). */
function urlFor(host: string, port: number): string {
  const h = host.replace(/^\[|\]$/g, '');
  const shown = h === '0.0.0.0' ? '127.0.0.1' : h === '::' ? '::1' : h;
  return `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}/`;
}

async function checkAppDir(appDir: string): Promise<void> {
  const index = await stat(path.join(appDir, 'index.html')).catch(() => null);
  if (!index?.isFile()) {
    throw new ConvscopeError(
      `the workbench is not built: no index.html in ${appDir}`,
      'run `npm run build` in the convscope project',
    );
  }
}

function listenError(error: NodeJS.ErrnoException, host: string, port: number): Error {
  if (error.code === 'EADDRINUSE') {
    return new ConvscopeError(
      `port ${port} on ${host} is already in use`,
      '`--port 0` picks a free one, or choose another with --port N',
    );
  }
  if (error.code === 'EACCES') {
    return new ConvscopeError(
      `not allowed to listen on port ${port}`,
      'ports below 1024 need privileges; use --port 8080 or --port 0',
    );
  }
  if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND') {
    return new ConvscopeError(
      `cannot listen on ${host}: no such address on this machine`,
      'use --host 127.0.0.1 (this machine only) or --host 0.0.0.0 (every network interface)',
    );
  }
  return error;
}

/**
 * Starts the workbench server and resolves once it listens.
 *
 * @example
 * const server = await startServer({ port: 0, model: 'vgg16' });
 * console.log(server.url); // http://127.0.0.1:41234/
 * await server.close();
 */
export async function startServer(options: ServeOptions = {}): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConvscopeError(
      `invalid port ${port}`,
      'use a whole number 0-65535 (0: any free port)',
    );
  }
  const maxUploadBytes = options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
  if (!(maxUploadBytes > 0)) {
    throw new ConvscopeError(`invalid upload limit ${maxUploadBytes}`, 'use a positive size');
  }
  const maxPixels = options.maxDecodePixels ?? DEFAULT_MAX_DECODE_PIXELS;
  const maxConcurrent = options.maxConcurrentDecodes ?? DEFAULT_MAX_CONCURRENT_DECODES;
  if (!(maxPixels >= 1) || !Number.isInteger(maxConcurrent) || maxConcurrent < 1) {
    throw new ConvscopeError(
      `invalid decode limits: ${maxPixels} pixels, ${maxConcurrent} at once`,
      'use a positive pixel count and a whole number of decodes of at least 1',
    );
  }
  const appDir = path.resolve(options.appDir ?? DEFAULT_APP_DIR);
  await checkAppDir(appDir);
  const env = options.env ?? process.env;
  const models = await createModelCatalog({ embeddedDir: EMBEDDED_DIR, model: options.model, env });
  const patches = await loadPatchSources(options.patches ?? []);
  const atlas = options.atlas === undefined ? undefined : await loadAtlasSite(options.atlas);
  const samplesDir = path.join(PACKAGE_ROOT, 'samples');
  const log = options.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const handler = createHandler({
    appDir,
    samplesDir,
    models,
    samples: sampleLister(samplesDir, path.join(EMBEDDED_DIR, 'labels.json')),
    patches,
    atlas,
    decode: { maxBytes: maxUploadBytes, maxPixels, maxConcurrent },
    decodeSlots: new DecodeSlots(maxConcurrent),
    log,
  });
  const server = http.createServer(handler);
  // `Expect: 100-continue`: Node would answer 100 at once; the handler decides instead (an
  // upload over the limit or from another origin gets its error without being asked for).
  server.on('checkContinue', handler);
  // Requests Node cannot even parse still get an answer with the security headers.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const headers = Object.entries(SECURITY_HEADERS)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    socket.end(
      `HTTP/1.1 400 Bad Request\r\n${headers}Content-Length: 0\r\nConnection: close\r\n\r\n`,
    );
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => reject(listenError(error, host, port));
    server.once('error', onError);
    server.listen({ host, port }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const actualPort = (server.address() as AddressInfo).port;
  return {
    url: urlFor(host, actualPort),
    port: actualPort,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
        // Connections still busy (a long download) get a moment, then are cut.
        setTimeout(() => server.closeAllConnections(), 1000).unref();
      }),
  };
}
