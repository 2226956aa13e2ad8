/**
 * The .npy writer byte for byte: magic, version, header length, the header dict text with
 * NumPy's growth space and padding, 64-byte alignment, little-endian float32 data; a round
 * trip through the reader; and, where python3 has NumPy, the same bytes as `numpy.save` and
 * the same values from `numpy.load`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConvscopeError } from '../core/errors.js';
import { decodeNpy, encodeNpy, readNpy, writeNpy } from './npy.js';
import { fileStem, targetStem } from './raw-arrays.js';

/** The first python3 that imports numpy (Debian's python3-numpy lives at /usr/bin/python3). */
const python = ['python3', '/usr/bin/python3'].find(
  (exe) => spawnSync(exe, ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0,
);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'convscope-npy-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const latin1 = (bytes: Uint8Array) => Buffer.from(bytes).toString('latin1');

describe('encodeNpy', () => {
  it('writes the version 1.0 header NumPy writes, aligned to 64 bytes', () => {
    const values = new Float32Array([0.5, -1.25, 3, 1e-30]);
    const bytes = encodeNpy(values, [1, 2, 2, 1]);
    expect([...bytes.subarray(0, 6)]).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY
    expect([bytes[6], bytes[7]]).toEqual([1, 0]);
    const headerLength = bytes[8] + 256 * bytes[9];
    expect((10 + headerLength) % 64).toBe(0);
    const header = latin1(bytes.subarray(10, 10 + headerLength));
    const dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 2, 1), }";
    // dict (65 chars), 20 spaces of growth room for axis 0 ("1" of 21 digits), padding, "\n".
    expect(header.startsWith(dict)).toBe(true);
    expect(header.endsWith('\n')).toBe(true);
    expect(header.slice(dict.length, -1)).toMatch(/^ +$/);
    expect(headerLength).toBe(118); // 10 + 65 + 20 + 1 = 96 -> padded to 128
    const start = 10 + headerLength;
    expect(bytes.length).toBe(start + 16);
    const data = new DataView(bytes.buffer, bytes.byteOffset + start);
    expect([0, 1, 2, 3].map((i) => data.getFloat32(4 * i, true))).toEqual([...values]);
  });

  it('writes Python tuple syntax for one and zero axes', () => {
    const one = latin1(encodeNpy(new Float32Array(5), [5]));
    expect(one).toContain("'shape': (5,), }");
    const zero = latin1(encodeNpy(new Float32Array([7]), []));
    expect(zero).toContain("'shape': (), }");
    for (const text of [one, zero]) {
      const headerLength = text.charCodeAt(8) + 256 * text.charCodeAt(9);
      expect((10 + headerLength) % 64).toBe(0);
    }
  });

  it('refuses a shape that does not match the values', () => {
    expect(() => encodeNpy(new Float32Array(5), [2, 2])).toThrow(ConvscopeError);
    expect(() => encodeNpy(new Float32Array(4), [2, -2])).toThrow(/shape \[2, -2\]/);
  });
});

describe('writeNpy / readNpy', () => {
  it('round-trips shape and exact float32 values, leaving no temporary file', async () => {
    const values = new Float32Array([NaN, -0, Infinity, -Infinity, 1.4e-45, 3.4e38, Math.PI, 1]);
    const file = path.join(dir, 'nested', 'a.npy');
    await writeNpy(file, values, [2, 2, 2, 1]);
    const back = await readNpy(file);
    expect(back.shape).toEqual([2, 2, 2, 1]);
    expect(Object.is(back.values[1], -0)).toBe(true);
    expect([...back.values]).toEqual([...values]);
    expect(await readdir(path.dirname(file))).toEqual(['a.npy']);
  });

  it('rejects files that are not float32 C-order .npy', () => {
    expect(() => decodeNpy(new TextEncoder().encode('PNG....'))).toThrow(/magic/);
    const bytes = encodeNpy(new Float32Array(2), [2]);
    const f8 = Buffer.from(latin1(bytes).replace("'<f4'", "'<f8'"), 'latin1');
    expect(() => decodeNpy(f8)).toThrow(/unsupported .npy header/);
  });
});

describe('file names', () => {
  it('keeps layer names readable and replaces path characters', () => {
    expect(fileStem('block2_conv1')).toBe('block2_conv1');
    expect(fileStem('layer4.1.conv2')).toBe('layer4.1.conv2');
    expect(fileStem('/features/features.0/Conv')).toBe('_features_features.0_Conv');
    expect(fileStem('..')).toBe('_'); // never a hidden file or a parent folder
    expect(targetStem({ kind: 'class', index: 3 })).toBe('class-3');
    expect(targetStem({ kind: 'unit', layer: 'block2_conv1', channel: 5 })).toBe('block2_conv1-5');
    expect(targetStem({ kind: 'unit', layer: 'c', channel: 0, position: [3, 4] })).toBe(
      'c-0-at-3-4',
    );
  });
});

describe.skipIf(!python)('NumPy compatibility (needs python3 with numpy)', () => {
  it('writes the same bytes as numpy.save, and numpy.load reads our values', async () => {
    const shape = [1, 3, 4, 2];
    const values = Float32Array.from({ length: 24 }, (_, i) => Math.fround((i - 7) / 3));
    const ours = path.join(dir, 'ours.npy');
    const theirs = path.join(dir, 'theirs.npy');
    await writeNpy(ours, values, shape);
    const script = [
      'import json, sys, numpy as np',
      'a = np.load(sys.argv[1])',
      'b = (np.arange(24, dtype=np.float32) - 7) / np.float32(3)',
      'np.save(sys.argv[2], b.reshape(1, 3, 4, 2))',
      'print(json.dumps({"dtype": str(a.dtype), "shape": a.shape, "fortran": bool(np.isfortran(a)),',
      '  "values": [float(v) for v in a.ravel()]}))',
    ].join('\n');
    const run = spawnSync(python!, ['-c', script, ours, theirs], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const loaded = JSON.parse(run.stdout) as { dtype: string; shape: number[]; values: number[] };
    expect(loaded).toMatchObject({ dtype: 'float32', shape, fortran: false });
    expect(loaded.values).toEqual([...values]);
    expect(Buffer.compare(await readFile(ours), await readFile(theirs))).toBe(0);
  });
});

if (!python) {
  // Reported so a skipped NumPy check is visible in the test log.
  console.warn('npy.test.ts: no python3 with numpy here; the NumPy compatibility test is skipped');
}
