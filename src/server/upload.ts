/**
 * `POST /api/decode`: the browser sends the raw bytes of an image it cannot decode itself
 * (TIFF, some AVIF, CMYK JPEG, ...) and gets a PNG back, decoded by sharp (EXIF orientation
 * applied, first page of multi-page files). The body is bounded: a Content-Length over the
 * limit is refused with 413 before a byte is read, and a body without one (chunked) is counted
 * while it streams and cut off with 413 at the limit. Bytes sharp cannot read are a 415.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import sharp from 'sharp';
import { HttpError, SECURITY_HEADERS } from './responses.js';

/** Decoded images larger than this many pixels are refused (decompression bombs). */
const MAX_PIXELS = 100_000_000;

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

/**
 * The request body, at most `maxBytes` long.
 *
 * @throws HttpError 413 when it is longer (from Content-Length, or counted while streaming).
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) {
    return Promise.reject(tooLarge(maxBytes));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const onData = (chunk: Buffer) => {
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
  });
}

/**
 * Any image sharp reads, as PNG bytes.
 *
 * @example const png = await decodeToPng(await readFile('scan.tiff'));
 * @throws HttpError 415 when the bytes are not an image sharp can decode.
 */
export async function decodeToPng(bytes: Buffer): Promise<Buffer> {
  if (bytes.length === 0) {
    throw new HttpError(400, 'the request body is empty', 'send the image file as the body');
  }
  try {
    return await sharp(bytes, { failOn: 'error', limitInputPixels: MAX_PIXELS })
      .rotate()
      .png()
      .toBuffer();
  } catch (error) {
    throw new HttpError(
      415,
      `cannot decode the image: ${(error as Error).message}`,
      'send a JPEG, PNG, WebP, GIF, TIFF or AVIF file',
    );
  }
}

/** Handles `POST /api/decode` (the router has checked the method). */
export async function handleDecode(
  req: IncomingMessage,
  res: ServerResponse,
  maxBytes: number,
): Promise<void> {
  const png = await decodeToPng(await readBody(req, maxBytes));
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'Content-Type': 'image/png',
    'Content-Length': String(png.length),
    'Cache-Control': 'no-store',
  });
  res.end(png);
}
