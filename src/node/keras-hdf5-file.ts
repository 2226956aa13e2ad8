/**
 * Opens a Keras `.h5` weights file from disk with h5wasm (the HDF5 C library compiled to
 * WebAssembly; its Node build reads the file in place, so a 550 MB file is not copied into
 * memory first) and loads it into a model with the core's by-name mapping. Files that are
 * missing or are not HDF5 at all are caught here first, with a message that says so; weights
 * that hold NaN or Infinity are refused after loading (finite-weights.ts).
 */
import type * as tf from '@tensorflow/tfjs';
import type { File as H5File } from 'h5wasm/node';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { ConvscopeError } from '../core/errors.js';
import { assertFiniteWeights } from '../core/models/finite-weights.js';
import { applyKerasWeights, type KerasWeightsOptions } from '../core/models/keras-hdf5.js';

const SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/** True when the file starts with the HDF5 signature (at 0, or after a 512·2^k user block). */
async function looksLikeHdf5(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    for (
      let offset = 0;
      offset + 8 <= size && offset <= 1 << 20;
      offset = offset ? offset * 2 : 512
    ) {
      const buffer = Buffer.alloc(8);
      await handle.read(buffer, 0, 8, offset);
      if (buffer.equals(SIGNATURE)) return true;
    }
    return false;
  } finally {
    await handle.close();
  }
}

/**
 * Opens `file` as HDF5 with h5wasm (read-only), after checking that it exists and starts with
 * the HDF5 signature; `source` names it in messages. The caller closes it.
 * @example const file = await openHdf5File('model.h5'); try { ... } finally { file.close(); }
 */
export async function openHdf5File(
  file: string,
  source = file,
  what = 'a Keras .h5 file',
): Promise<H5File> {
  const ok = await looksLikeHdf5(file).catch((error: NodeJS.ErrnoException) => {
    throw new ConvscopeError(
      `cannot read ${file}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`,
      `pass the path of ${what}`,
    );
  });
  if (!ok) {
    throw new ConvscopeError(
      `${source} is not an HDF5 file`,
      `pass ${what} (is the download complete? an HTML error page?)`,
    );
  }
  const h5 = await import('h5wasm/node');
  await h5.ready;
  try {
    return new h5.File(path.resolve(file), 'r');
  } catch (error) {
    throw new ConvscopeError(
      `cannot open ${source} as HDF5: ${String(error)}`,
      'is the file damaged?',
    );
  }
}

/**
 * Loads Keras HDF5 weights from `file` into `model` (layers matched by name, shapes checked).
 * @example await loadKerasWeightsFile(buildVgg('vgg16', { includeTop: false }), 'notop.h5');
 */
export async function loadKerasWeightsFile(
  model: tf.LayersModel,
  file: string,
  options: KerasWeightsOptions = {},
): Promise<string[]> {
  const source = options.source ?? file;
  const h5file = await openHdf5File(file, source, 'a Keras .h5 weights file');
  let loaded: string[];
  try {
    loaded = applyKerasWeights(model, h5file, { ...options, source });
  } finally {
    h5file.close();
  }
  await assertFiniteWeights(model, source);
  return loaded;
}
