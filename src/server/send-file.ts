/**
 * Streams one file that static-roots.ts has already found and checked: the Content-Type from
 * its extension (`application/wasm` matters: `WebAssembly.instantiateStreaming` refuses
 * anything else), Content-Length, a weak ETag so revalidation is a cheap 304, the security
 * headers, and no body for HEAD. Everything is `no-cache` (revalidate each time), so a rebuilt
 * app or re-converted model is never served stale.
 */
import { open } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { FoundFile } from './static-roots.js';
import { SECURITY_HEADERS } from './responses.js';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.cjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
};

/** The Content-Type for a file name (application/octet-stream when unknown). */
export function contentType(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

function etagOf(found: FoundFile): string {
  return `W/"${found.stats.size.toString(16)}-${Math.floor(found.stats.mtimeMs).toString(16)}"`;
}

/** Answers GET or HEAD with the file (or 304 when the client's copy is current). */
export async function sendFile(
  req: IncomingMessage,
  res: ServerResponse,
  found: FoundFile,
): Promise<void> {
  const etag = etagOf(found);
  const headers: Record<string, string> = {
    ...SECURITY_HEADERS,
    'Cache-Control': 'no-cache',
    ETag: etag,
    'Last-Modified': found.stats.mtime.toUTCString(),
  };
  const match = req.headers['if-none-match'];
  if (match && match.split(/\s*,\s*/).includes(etag)) {
    res.writeHead(304, headers).end();
    return;
  }
  // Open before the headers go out, so a file that vanished since the lookup is still an error
  // with a proper body rather than a truncated 200; the length is the opened file's own.
  const handle = await open(found.file, 'r');
  let size: number;
  try {
    size = (await handle.stat()).size;
  } catch (error) {
    await handle.close();
    throw error;
  }
  res.writeHead(200, {
    ...headers,
    'Content-Type': contentType(found.file),
    'Content-Length': String(size),
  });
  if (req.method === 'HEAD' || size === 0) {
    await handle.close();
    res.end();
    return;
  }
  await pipeline(handle.createReadStream({ end: size - 1 }), res);
}
