/**
 * Which requests may come from another web page. Browsers label every request a page makes:
 * `Sec-Fetch-Site` says whether it comes from the page's own origin, and a POST carries an
 * `Origin` header. A request with `Sec-Fetch-Site` other than `same-origin`, or an `Origin`
 * whose host is not the one the request was sent to, was made by some other site (a page the
 * user happens to have open can POST to 127.0.0.1 with a `text/plain` body and no preflight),
 * and is refused with 403. A request with neither header is not from a browser page (curl, a
 * script) and passes: anything that can send it can reach the server directly anyway.
 */
import type { IncomingMessage } from 'node:http';
import { HttpError } from './responses.js';

function crossSite(reason: string): HttpError {
  return new HttpError(
    403,
    `cross-origin request refused: ${reason}`,
    'only the workbench page served by this server may use this endpoint',
    { Connection: 'close' },
  );
}

/**
 * Throws a 403 unless `req` comes from a page of this server's own origin (or from no page).
 * @example assertSameOrigin(req); // before reading the body of POST /api/decode
 */
export function assertSameOrigin(req: IncomingMessage): void {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') {
    throw crossSite(`Sec-Fetch-Site is '${site}'`);
  }
  const origin = req.headers.origin;
  if (origin === undefined) return;
  let host: string | undefined;
  try {
    const url = new URL(origin);
    host = url.protocol === 'http:' || url.protocol === 'https:' ? url.host : undefined;
  } catch {
    host = undefined;
  }
  const own = req.headers.host ?? '';
  if (host === undefined || host !== hostOf(own)) {
    throw crossSite(`the page at ${origin} is not this server (${own || 'no Host header'})`);
  }
}

/** `Host` as the URL parser writes it (lower case, default port dropped); '' if invalid. */
function hostOf(header: string): string {
  try {
    return new URL(`http://${header}`).host;
  } catch {
    return '';
  }
}
