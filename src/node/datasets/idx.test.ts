/** Checks the IDX parser on tiny buffers built here, plain and gzipped, and its error cases. */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseIdx } from './idx.js';

function idx(dims: number[], data: number[], type = 0x08): Uint8Array {
  const header = new Uint8Array(4 + 4 * dims.length);
  const view = new DataView(header.buffer);
  header.set([0, 0, type, dims.length]);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  const out = new Uint8Array(header.length + data.length);
  out.set(header);
  out.set(data, header.length);
  return out;
}

describe('parseIdx', () => {
  it('reads dims and values of a rank-3 array', () => {
    const values = Array.from({ length: 2 * 3 * 4 }, (_, i) => i * 10);
    const parsed = parseIdx(idx([2, 3, 4], values));
    expect(parsed.dims).toEqual([2, 3, 4]);
    expect(Array.from(parsed.data)).toEqual(values);
  });

  it('reads a rank-1 array with large dims stored big-endian', () => {
    const values = Array.from({ length: 300 }, (_, i) => i % 256);
    const parsed = parseIdx(idx([300], values));
    expect(parsed.dims).toEqual([300]);
    expect(parsed.data[299]).toBe(299 % 256);
  });

  it('inflates gzipped input', () => {
    const parsed = parseIdx(new Uint8Array(gzipSync(idx([1, 2, 2], [1, 2, 3, 255]))));
    expect(parsed.dims).toEqual([1, 2, 2]);
    expect(Array.from(parsed.data)).toEqual([1, 2, 3, 255]);
  });

  it('rejects bad magic, other data types and truncated data', () => {
    expect(() => parseIdx(new Uint8Array([1, 0, 8, 1, 0, 0, 0, 0]))).toThrow(/magic/);
    expect(() => parseIdx(idx([1], [0, 0, 0, 0], 0x0d))).toThrow(/data type/);
    expect(() => parseIdx(idx([4], [1, 2]))).toThrow(/truncated/);
  });
});
