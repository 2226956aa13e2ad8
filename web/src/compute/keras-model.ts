/**
 * Keras models that carry their architecture, opened in the compute worker from bytes: a Keras 3
 * `.keras` archive or a Keras 2 `.h5` written by `model.save()`. HDF5 is read by h5wasm's browser
 * build: the bytes are written to its in-memory (Emscripten MEMFS) file system and opened there,
 * as h5wasm's README shows (`FS.writeFile`, then `new h5wasm.File(name, 'r')`). Unzipping,
 * config rewriting, building and weight mapping are core's (keras-model.ts), the same code the
 * CLI runs, so both give the same models and messages. h5wasm (4 MB, its wasm inlined in the
 * JS) is imported on first use, so pages that never open a Keras file do not load it.
 */
import type * as tf from '@tensorflow/tfjs';
import type * as H5wasm from 'h5wasm';
import { ConvscopeError } from '../../../src/core/errors.js';
import { readKerasArchive } from '../../../src/core/models/keras-archive.js';
import {
  kerasH5ModelConfig,
  loadKerasArchiveModel,
  loadKerasH5Model,
  type OpenedHdf5,
} from '../../../src/core/models/keras-model.js';

/** True for a `.keras` or `.h5` file name or URL (query and fragment ignored). */
export const isKerasName = (name: string): boolean => /\.(keras|h5)([?#].*)?$/i.test(name);

const isArchiveName = (name: string) => /\.keras([?#].*)?$/i.test(name);

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** The HDF5 signature at 0 or after a 512·2^k user block, as the HDF5 spec places it. */
function looksLikeHdf5(bytes: Uint8Array): boolean {
  for (let at = 0; at + 8 <= bytes.length && at <= 1 << 20; at = at ? at * 2 : 512) {
    if (HDF5_SIGNATURE.every((b, i) => bytes[at + i] === b)) return true;
  }
  return false;
}

let h5wasm: Promise<typeof H5wasm> | undefined;
let fileCount = 0;

/** Opens `bytes` as HDF5 in h5wasm's in-memory FS; closing also deletes the copy. */
async function openHdf5Bytes(bytes: Uint8Array, where: string): Promise<OpenedHdf5> {
  h5wasm ??= import('h5wasm');
  const h5 = await h5wasm;
  const { FS } = await h5.ready;
  // A unique name: an aborted load may still hold its file open while a newer one starts.
  const name = `/convscope-${++fileCount}.h5`;
  FS.writeFile(name, bytes);
  let file: H5wasm.File;
  try {
    file = new h5.File(name, 'r');
  } catch (error) {
    FS.unlink(name);
    throw new ConvscopeError(
      `cannot open ${where} as HDF5: ${String(error)}`,
      'is the file damaged?',
    );
  }
  return {
    root: file,
    close: () => {
      file.close();
      FS.unlink(name);
    },
  };
}

async function loadH5(bytes: Uint8Array, where: string): Promise<tf.LayersModel> {
  if (!looksLikeHdf5(bytes)) {
    throw new ConvscopeError(
      `${where} is not an HDF5 file`,
      'open a Keras .h5 written by `model.save()` (is the download complete? an HTML error page?)',
    );
  }
  const opened = await openHdf5Bytes(bytes, where);
  try {
    // Checked here, not in core, for a hint that fits the page (core's names --arch).
    if (kerasH5ModelConfig(opened.root, where) === undefined) {
      throw new ConvscopeError(
        `${where} holds Keras weights only (no model_config attribute), so no architecture`,
        'save the whole model with `model.save("model.keras")` or `model.save("model.h5")`; ' +
          'the CLI opens weights-only files with --arch',
      );
    }
    return await loadKerasH5Model(opened.root, where);
  } finally {
    opened.close();
  }
}

/**
 * Builds the TF.js model of a `.keras` archive or a full-model `.h5` from its bytes; `where`
 * (a file name or URL) picks the format by its extension and names the file in messages.
 * @example const model = await kerasModelFromBytes(new Uint8Array(await file.arrayBuffer()), file.name);
 */
export async function kerasModelFromBytes(
  bytes: Uint8Array,
  where: string,
): Promise<tf.LayersModel> {
  if (!isArchiveName(where)) return loadH5(bytes, where);
  const archive = readKerasArchive(bytes, where);
  return loadKerasArchiveModel(archive, (weights) => openHdf5Bytes(weights, where), where);
}
