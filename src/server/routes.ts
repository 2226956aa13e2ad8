/**
 * The router of the workbench server: maps a request to the JSON API (`/api/models`,
 * `/api/samples`, `/api/patches`, `POST /api/decode`), to a static root (`/models/...`,
 * `/samples/...`, `/patches/<id>/...`, `/atlas/...` with `serve --atlas`, and the web app for
 * everything else), or to an error.
 * Only GET and HEAD are accepted outside `/api/decode` (405 with `Allow` otherwise). Every
 * failure inside a handler becomes a response (HttpError: its status; anything else: 500 with
 * a JSON body, logged) and the server keeps running.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConvscopeError } from '../core/errors.js';
import { sendWorkbenchScript, type AtlasSite } from './atlas-site.js';
import type { ModelCatalog } from './model-catalog.js';
import type { PatchSource } from './patch-sources.js';
import { HttpError, sendError, sendJson } from './responses.js';
import type { SampleEntry } from './samples.js';
import { sendFile } from './send-file.js';
import { pathSegments, resolveInRoot, type StaticRoot } from './static-roots.js';
import { handleDecode, type DecodeLimits, type DecodeSlots } from './upload.js';

export interface RouteContext {
  appDir: string;
  samplesDir: string;
  models: ModelCatalog;
  samples: () => Promise<SampleEntry[]>;
  patches: readonly PatchSource[];
  /** An atlas site served under `/atlas/` (`serve --atlas`). */
  atlas?: AtlasSite;
  /** Limits of `POST /api/decode`, and its count of decodes in progress. */
  decode: DecodeLimits;
  decodeSlots: DecodeSlots;
  /** Where unexpected errors are reported (one line each). */
  log: (line: string) => void;
}

const READ_METHODS = ['GET', 'HEAD'];

function notFound(): HttpError {
  return new HttpError(404, 'not found');
}

async function serveFrom(
  req: IncomingMessage,
  res: ServerResponse,
  root: StaticRoot | undefined,
  segments: string[],
): Promise<void> {
  const found = root ? await resolveInRoot(root, segments) : null;
  if (!found) throw notFound();
  await sendFile(req, res, found);
}

async function api(res: ServerResponse, name: string, context: RouteContext): Promise<void> {
  let body: unknown;
  if (name === 'models') body = await context.models.list();
  else if (name === 'samples') body = await context.samples();
  else if (name === 'patches') body = context.patches.flatMap((p) => p.entries);
  else throw notFound();
  sendJson(res, 200, body);
}

async function models(
  req: IncomingMessage,
  res: ServerResponse,
  rest: string[],
  context: RouteContext,
): Promise<void> {
  const [source, ...file] = rest;
  if (source === 'embedded' || source === 'cli') {
    return serveFrom(req, res, context.models.root(source), file);
  }
  if (source !== 'zoo' || file.length < 2) throw notFound();
  const [name, ...inside] = file;
  const root = await context.models.zooRoot(name);
  if (!root) throw notFound();
  if (inside.length === 1 && inside[0] === 'labels.json') {
    const labels = await context.models.zooLabels(name);
    if (!labels) throw notFound();
    return sendJson(res, 200, labels, { 'Cache-Control': 'no-cache' });
  }
  return serveFrom(req, res, root, inside);
}

async function patches(
  req: IncomingMessage,
  res: ServerResponse,
  rest: string[],
  context: RouteContext,
): Promise<void> {
  const [id, ...file] = rest;
  const source = /^\d+$/.test(id ?? '') ? context.patches[Number(id)] : undefined;
  if (!source) throw notFound();
  if (file.length === 1 && file[0] === 'manifest.json') {
    const layer = new URL(req.url ?? '/', 'http://localhost').searchParams.get('layer');
    const manifest = await source.manifest(layer ?? undefined);
    if (manifest === undefined) throw new HttpError(404, `this patch run has no layer '${layer}'`);
    return sendJson(res, 200, manifest, { 'Cache-Control': 'no-cache' });
  }
  return serveFrom(req, res, source.root, file);
}

/** `/atlas` (redirected to `/atlas/`, so the page's relative links resolve), then the site. */
async function atlas(
  req: IncomingMessage,
  res: ServerResponse,
  rest: string[],
  site: AtlasSite,
): Promise<void> {
  const rawPath = (req.url ?? '/').split(/[?#]/)[0];
  if (rest.length === 0 && !rawPath.endsWith('/')) {
    throw new HttpError(301, 'the atlas is at /atlas/', undefined, { Location: '/atlas/' });
  }
  if (sendWorkbenchScript(res, req, site, rest)) return;
  return serveFrom(req, res, site.root, rest.length ? rest : ['index.html']);
}

async function route(req: IncomingMessage, res: ServerResponse, context: RouteContext) {
  const segments = pathSegments(req.url ?? '/');
  const [top, ...rest] = segments;
  const method = req.method ?? 'GET';
  if (top === 'api' && rest.length === 1 && rest[0] === 'decode') {
    if (method !== 'POST') {
      throw new HttpError(405, `${method} is not allowed here`, 'POST the image bytes', {
        Allow: 'POST',
      });
    }
    return handleDecode(req, res, context.decode, context.decodeSlots);
  }
  if (!READ_METHODS.includes(method)) {
    throw new HttpError(405, `${method} is not allowed here`, undefined, {
      Allow: READ_METHODS.join(', '),
    });
  }
  if (top === 'api') {
    if (rest.length !== 1) throw notFound();
    return api(res, rest[0], context);
  }
  if (top === 'models') return models(req, res, rest, context);
  if (top === 'samples') return serveFrom(req, res, { dir: context.samplesDir }, rest);
  if (top === 'patches') return patches(req, res, rest, context);
  if (top === 'atlas' && context.atlas) return atlas(req, res, rest, context.atlas);
  return serveFrom(req, res, { dir: context.appDir }, segments.length ? segments : ['index.html']);
}

function isClientGone(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNRESET' || code === 'EPIPE';
}

/** The request listener for `http.createServer`. */
export function createHandler(
  context: RouteContext,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    route(req, res, context).catch((error: unknown) => {
      if (error instanceof HttpError) {
        sendError(req, res, error.status, error.message, error.hint, error.headers);
        return;
      }
      if (res.headersSent || isClientGone(error)) {
        res.destroy();
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      const hint = error instanceof ConvscopeError ? error.hint : undefined;
      context.log(`convscope serve: ${req.method} ${req.url}: ${message}`);
      sendJson(res, 500, hint ? { error: message, hint } : { error: message });
    });
  };
}
