/**
 * Opens a Keras model file that carries its architecture, from disk: a `.h5` written by
 * `model.save()` (HDF5, read in place by h5wasm) or a `.keras` archive (read, unzipped in
 * memory; its `model.weights.h5` goes through a temporary file, since h5wasm's Node build
 * reads real paths). Building and weight mapping are the core's (keras-model.ts), shared with
 * the workbench, so both give the same messages.
 */
import type * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConvscopeError } from '../core/errors.js';
import { readKerasArchive } from '../core/models/keras-archive.js';
import {
  kerasH5ModelConfig,
  loadKerasArchiveModel,
  loadKerasH5Model,
  type OpenedHdf5,
} from '../core/models/keras-model.js';
import { openHdf5File } from './keras-hdf5-file.js';

/** Writes `bytes` to a temporary file and opens it; closing removes the file. */
async function openTemporaryHdf5(bytes: Uint8Array, source: string): Promise<OpenedHdf5> {
  const dir = mkdtempSync(path.join(tmpdir(), 'convscope-keras-'));
  const file = path.join(dir, 'model.weights.h5');
  writeFileSync(file, bytes);
  try {
    const root = await openHdf5File(file, `${source} (model.weights.h5)`, 'a .keras archive');
    return {
      root,
      close: () => {
        root.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

async function loadArchive(file: string): Promise<tf.LayersModel> {
  const bytes = await readFile(file).catch((error: NodeJS.ErrnoException) => {
    throw new ConvscopeError(
      `cannot read ${file}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`,
      'pass the path of a .keras file written by Keras 3 `model.save()`',
    );
  });
  const archive = readKerasArchive(new Uint8Array(bytes), file);
  return loadKerasArchiveModel(archive, (weights) => openTemporaryHdf5(weights, file), file);
}

/** True when the `.h5` file carries a model config (it was written by `model.save()`). */
export async function kerasH5HasConfig(file: string): Promise<boolean> {
  const h5file = await openHdf5File(file);
  try {
    return kerasH5ModelConfig(h5file, file) !== undefined;
  } finally {
    h5file.close();
  }
}

/**
 * Builds the model of a Keras `.h5` full-model file or `.keras` archive, weights loaded.
 * @example const model = await loadKerasModelFile('model.keras');
 */
export async function loadKerasModelFile(file: string): Promise<tf.LayersModel> {
  if (file.toLowerCase().endsWith('.keras')) return loadArchive(file);
  const h5file = await openHdf5File(file);
  try {
    return await loadKerasH5Model(h5file, file);
  } finally {
    h5file.close();
  }
}
