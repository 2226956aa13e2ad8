/**
 * Parser for the IDX format that MNIST-style data sets ship in (optionally gzipped): a 4-byte
 * magic number (two zero bytes, a data-type code, the number of dimensions), one big-endian
 * uint32 per dimension, then the row-major data. Only unsigned-byte data (type 0x08) is
 * supported, which is all Fashion-MNIST and MNIST use.
 */
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';

/** A parsed IDX array: its dimensions and its bytes, row-major. */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const UBYTE = 0x08;

/** Parses an IDX buffer; gzipped input (magic 1f 8b) is inflated first. */
export function parseIdx(input: Uint8Array): IdxArray {
  const bytes = input[0] === 0x1f && input[1] === 0x8b ? new Uint8Array(gunzipSync(input)) : input;
  if (bytes.length < 4) throw new Error(`IDX data too short (${bytes.length} bytes)`);
  if (bytes[0] !== 0 || bytes[1] !== 0) throw new Error('not an IDX file (bad magic number)');
  const type = bytes[2];
  if (type !== UBYTE) {
    throw new Error(`unsupported IDX data type 0x${type.toString(16)} (only ubyte 0x08)`);
  }
  const rank = bytes[3];
  const headerLength = 4 + 4 * rank;
  if (bytes.length < headerLength) throw new Error('IDX header truncated');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const size = dims.reduce((a, b) => a * b, 1);
  if (bytes.length - headerLength < size) {
    throw new Error(
      `IDX data truncated: expected ${size} bytes, found ${bytes.length - headerLength}`,
    );
  }
  return { dims, data: bytes.subarray(headerLength, headerLength + size) };
}

/** Reads and parses an IDX file (plain or .gz). */
export async function readIdx(path: string): Promise<IdxArray> {
  return parseIdx(new Uint8Array(await readFile(path)));
}
