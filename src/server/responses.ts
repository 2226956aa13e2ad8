/**
 * How the workbench server answers: the headers every response carries (cross-origin isolation
 * for multi-threaded WASM, no MIME sniffing), JSON bodies, and errors. Handlers throw an
 * `HttpError` (status, message, hint) and the router turns it into a JSON body for `/api/*`
 * and a small HTML page elsewhere, so no handler writes an error response by hand.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Sent on every response, errors included. COOP + COEP make the page cross-origin isolated
 * (SharedArrayBuffer, so the tfjs wasm backend can run multi-threaded); CORP keeps our files
 * from being embedded by other origins.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Content-Type-Options': 'nosniff',
};

/** An error with an HTTP status; `hint` says what the client can do about it. */
export class HttpError extends Error {
  readonly status: number;
  readonly hint?: string;
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    message: string,
    hint?: string,
    headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.hint = hint;
    this.headers = headers;
  }
}

/** Answers `value` as JSON (never cached: the lists change when the cache does). */
export function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  const body = Buffer.from(`${JSON.stringify(value)}\n`);
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(body.length),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(body);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** True when the request asked for the JSON API (errors are JSON there, HTML elsewhere). */
export function isApiPath(url: string | undefined): boolean {
  return /^\/api(\/|$|\?)/.test(url ?? '');
}

/** Answers an error: `{ error, hint? }` under /api, a small HTML page elsewhere. */
export function sendError(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  message: string,
  hint?: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (isApiPath(req.url)) {
    sendJson(res, status, hint ? { error: message, hint } : { error: message }, headers);
    return;
  }
  const title = `${status} ${escapeHtml(message)}`;
  const body = Buffer.from(
    `<!doctype html>\n<html><head><meta charset="utf-8"><title>${title}</title></head>` +
      `<body><h1>${title}</h1>${hint ? `<p>${escapeHtml(hint)}</p>` : ''}` +
      `<p><a href="/">convscope workbench</a></p></body></html>\n`,
  );
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': String(body.length),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(body);
}
