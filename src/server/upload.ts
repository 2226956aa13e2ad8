/**
 * `POST /api/decode`: the browser sends the raw bytes of an image it cannot decode itself
 * (TIFF, some AVIF, CMYK JPEG, ...) and gets a PNG back, decoded by sharp (EXIF orientation
 * applied, first page of multi-page files, shrunk to fit 2048x2048: the page only needs the
 * model's input size). No other web page may use it: a cross-origin request is a 403
 * (same-origin.ts), a body that is not declared as an image (`image/*` or
 * `application/octet-stream`) a 415. The work is bounded: a Content-Length over the limit is
 * refused with 413 before a byte is read (and without `100 Continue` for a client that asks),
 * a body without one (chunked) is counted while it streams and cut off with 413 at the limit,
 * at most `maxConcurrent` decodes run at once (503 with Retry-After beyond), and an image
 * whose header declares more than `maxPixels` pixels is refused (413) before it is decoded.
 * Bytes sharp cannot read are a 415.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import sharp from 'sharp';
import { HttpError, SECURITY_HEADERS } from './responses.js';
import { assertSameOrigin } from './same-origin.js';

/** Limits of `POST /api/decode`. */
export interface DecodeLimits {
  /** Largest body in bytes. */
  maxBytes: number;
  /** Largest image (width x height, from its header) that is decoded at all. */
  maxPixels: number;
  /** Decodes that may run at once; more get 503. */
  maxConcurrent: number;
}

/** Default pixel limit: 64 MP (8000x8000) covers camera photos, not decompression bombs. */
export const DEFAULT_MAX_DECODE_PIXELS = 64_000_000;

/** Default number of decodes at once. */
export const DEFAULT_MAX_CONCURRENT_DECODES = 2;

/** Decoded images are shrunk to fit this square (the page needs the model's input size). */
export const MAX_DECODED_SIDE = 2048;

/** Counts the decodes in progress; one per server. */
export class DecodeSlots {
  private active = 0;

  constructor(readonly max: number) {}

  /** Takes a slot, or returns false when all are busy. */
  tryAcquire(): boolean {
    if (this.active >= this.max) return false;
    this.active++;
    return true;
  }

  release(): void {
    this.active = Math.max(0, this.active - 1);
  }
}

function tooLarge(maxBytes: number): HttpError {
  const mib = maxBytes / (1024 * 1024);
  return new HttpError(
    413,
    `the upload is larger than the limit of ${maxBytes} bytes`,
    `start the server with a larger --max-upload (now ${mib.toPrecision(3)} MB), or send a smaller image`,
    // The rest of the body is never read: close the connection once the answer is out.
    { Connection: 'close' },
  );
}

/** A body that stops arriving for this long is given up (it would hold a decode slot). */
export const BODY_IDLE_MS = 15_000;

/**
 * The request body, at most `maxBytes` long.
 *
 * @throws HttpError 413 when it is longer (from Content-Length, or counted while streaming),
 *   408 when no byte arrives for `idleMs`.
 */
export function readBody(
  req: IncomingMessage,
  maxBytes: number,
  idleMs = BODY_IDLE_MS,
): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) {
    return Promise.reject(tooLarge(maxBytes));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let timer: NodeJS.Timeout | undefined;
    const idle = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        cleanup();
        req.pause();
        reject(
          new HttpError(408, `no upload data for ${idleMs / 1000} s`, 'send the image again', {
            Connection: 'close',
          }),
        );
      }, idleMs);
    };
    const cleanup = () => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      idle();
      total += chunk.length;
      if (total > maxBytes) {
        cleanup();
        req.pause();
        reject(tooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, total));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    idle();
  });
}

/** True for `image/*` and `application/octet-stream` (parameters ignored). */
export function isImageContentType(header: string | undefined): boolean {
  const type = (header ?? '').split(';')[0].trim().toLowerCase();
  return /^image\/[a-z0-9.+-]+$/.test(type) || type === 'application/octet-stream';
}

function megapixels(pixels: number): string {
  return `${Number((pixels / 1e6).toPrecision(3))} MP`;
}

/**
 * Any image sharp reads, as PNG bytes, shrunk to fit MAX_DECODED_SIDE.
 *
 * @example const png = await decodeToPng(await readFile('scan.tiff'));
 * @throws HttpError 415 when the bytes are not an image sharp can decode, 413 when the header
 *   declares more than `maxPixels` pixels (checked before decoding).
 */
export async function decodeToPng(
  bytes: Buffer,
  maxPixels = DEFAULT_MAX_DECODE_PIXELS,
): Promise<Buffer> {
  if (bytes.length === 0) {
    throw new HttpError(400, 'the request body is empty', 'send the image file as the body');
  }
  const unreadable = (error: unknown) =>
    new HttpError(
      415,
      `cannot decode the image: ${(error as Error).message}`,
      'send a JPEG, PNG, WebP, GIF, TIFF or AVIF file',
    );
  // The header alone: width and height without decoding a pixel.
  const { width, height } = await sharp(bytes)
    .metadata()
    .catch((error: unknown) => {
      throw unreadable(error);
    });
  const pixels = (width ?? 0) * (height ?? 0);
  if (pixels > maxPixels) {
    throw new HttpError(
      413,
      `the image is ${width}x${height} (${megapixels(pixels)}), over the limit of ${megapixels(maxPixels)}`,
      `send a smaller image, or start the server with a larger --max-pixels (megapixels)`,
      { Connection: 'close' },
    );
  }
  try {
    return await sharp(bytes, { failOn: 'error', limitInputPixels: maxPixels })
      .rotate()
      .resize({
        width: MAX_DECODED_SIDE,
        height: MAX_DECODED_SIDE,
        fit: 'inside',
        withoutEnlargement: true,
      })
      .png()
      .toBuffer();
  } catch (error) {
    throw unreadable(error);
  }
}

/** The checks that need no body: origin, content type, declared size. */
function checkRequest(req: IncomingMessage, maxBytes: number): void {
  assertSameOrigin(req);
  if (!isImageContentType(req.headers['content-type'])) {
    throw new HttpError(
      415,
      `the body must be an image, not '${req.headers['content-type'] ?? 'no Content-Type'}'`,
      'send it with Content-Type image/* (e.g. image/tiff) or application/octet-stream',
      { Connection: 'close' },
    );
  }
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) throw tooLarge(maxBytes);
}

/** Handles `POST /api/decode` (the router has checked the method). */
export async function handleDecode(
  req: IncomingMessage,
  res: ServerResponse,
  limits: DecodeLimits,
  slots: DecodeSlots,
): Promise<void> {
  checkRequest(req, limits.maxBytes);
  if (!slots.tryAcquire()) {
    throw new HttpError(
      503,
      `the server is already decoding ${slots.max} images`,
      'try again in a moment',
      { 'Retry-After': '1', Connection: 'close' },
    );
  }
  try {
    // Only now ask a client that waits (`Expect: 100-continue`) for the body.
    if (/100-continue/i.test(req.headers.expect ?? '')) res.writeContinue();
    const png = await decodeToPng(await readBody(req, limits.maxBytes), limits.maxPixels);
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': 'image/png',
      'Content-Length': String(png.length),
      'Cache-Control': 'no-store',
    });
    res.end(png);
  } finally {
    slots.release();
  }
}
