/**
 * NumPy `.npy` files for float32 arrays, so a researcher can check convscope's numbers with
 * `numpy.load`. The writer produces exactly what NumPy 1.x's `numpy.save` writes for a
 * little-endian float32 C-order array (format version 1.0): the magic `\x93NUMPY`, version
 * bytes 1 and 0, a little-endian uint16 header length, then the header dict
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (...), }` followed by NumPy's spare
 * space for growing the first axis (21 digits), padded with spaces and ended by a newline so
 * the data starts at a multiple of 64 bytes; then the raw values. Files are written
 * atomically. The reader accepts that subset (version 1.0 or 2.0, `<f4`, C order) and exists
 * for tests and round trips, not as a general NumPy loader.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import { ConvscopeError } from '../core/errors.js';
import { writeFileAtomic } from './atomic-write.js';

/** A float32 array and its shape (C order, so NHWC stays NHWC). */
export interface NpyArray {
  values: Float32Array;
  shape: number[];
}

const MAGIC = [0x93, ...Buffer.from('NUMPY', 'latin1')];
/** NumPy's ARRAY_ALIGN and GROWTH_AXIS_MAX_DIGITS (numpy/lib/format.py). */
const ALIGN = 64;
const GROWTH_DIGITS = 21;

/** Python's repr of a tuple of ints: `()`, `(5,)`, `(1, 28, 28, 1)`. */
function shapeRepr(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

/**
 * The bytes of a `.npy` file holding `values` with `shape` (dtype `<f4`).
 * @example const bytes = encodeNpy(new Float32Array([1, 2, 3, 4]), [1, 2, 2, 1]);
 */
export function encodeNpy(values: Float32Array, shape: readonly number[]): Uint8Array {
  const count = shape.reduce((n, d) => n * d, 1);
  if (!shape.every((d) => Number.isInteger(d) && d >= 0) || count !== values.length) {
    throw new ConvscopeError(
      `cannot write an array of ${values.length} values with shape [${shape.join(', ')}]`,
    );
  }
  let dict = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeRepr(shape)}, }`;
  if (shape.length > 0) dict += ' '.repeat(Math.max(0, GROWTH_DIGITS - String(shape[0]).length));
  const unpadded = MAGIC.length + 4 + dict.length + 1;
  const header = `${dict}${' '.repeat(ALIGN - (unpadded % ALIGN))}\n`;
  if (header.length > 0xffff) throw new ConvscopeError('npy header too long for format 1.0');
  const bytes = new Uint8Array(MAGIC.length + 4 + header.length + values.length * 4);
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC, 0);
  bytes[6] = 1;
  bytes[7] = 0;
  view.setUint16(8, header.length, true);
  bytes.set(Buffer.from(header, 'latin1'), 10);
  const start = 10 + header.length;
  if (endianness() === 'LE') {
    bytes.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), start);
  } else {
    for (let i = 0; i < values.length; i++) view.setFloat32(start + 4 * i, values[i], true);
  }
  return bytes;
}

/**
 * Writes `values` with `shape` to `file` as a `.npy` (temporary file, then rename).
 * @example await writeNpy('raw/block1_conv1.npy', activations, [1, 28, 28, 32]);
 */
export async function writeNpy(
  file: string,
  values: Float32Array,
  shape: readonly number[],
): Promise<void> {
  const bytes = encodeNpy(values, shape);
  await writeFileAtomic(file, (temporary) => writeFile(temporary, bytes));
}

/**
 * Parses `.npy` bytes written as float32, C order (what `encodeNpy` and `numpy.save` of a
 * float32 array produce).
 * @example const { values, shape } = decodeNpy(await readFile('raw/block1_conv1.npy'));
 */
export function decodeNpy(bytes: Uint8Array): NpyArray {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 10 || !MAGIC.every((b, i) => bytes[i] === b)) {
    throw new ConvscopeError('not a .npy file (no \\x93NUMPY magic)');
  }
  const major = bytes[6];
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = (major === 1 ? 10 : 12) + headerLength;
  const header = Buffer.from(bytes.subarray(major === 1 ? 10 : 12, start)).toString('latin1');
  const descr = /'descr':\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (major > 2 || descr !== '<f4' || fortran !== 'False' || shapeText === undefined) {
    throw new ConvscopeError(`unsupported .npy header: ${header.trim()}`, 'expected <f4, C order');
  }
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  const count = shape.reduce((n, d) => n * d, 1);
  if (bytes.length - start !== count * 4) {
    throw new ConvscopeError(`.npy data has ${bytes.length - start} bytes, expected ${count * 4}`);
  }
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) values[i] = view.getFloat32(start + 4 * i, true);
  return { values, shape };
}

/**
 * Reads a float32 `.npy` file.
 * @example const { values, shape } = await readNpy('raw/block1_conv1.npy');
 */
export async function readNpy(file: string): Promise<NpyArray> {
  return decodeNpy(await readFile(file));
}
