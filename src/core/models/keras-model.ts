/**
 * Keras models that carry their architecture, built as TF.js LayersModels: a Keras 2 `.h5`
 * written by `model.save()` (the config in the root attribute `model_config`, the weights
 * under `/model_weights` in the by-name layout keras-hdf5.ts reads) and a Keras 3 `.keras`
 * archive (keras-archive.ts; weights by position, keras-v3-weights.ts). The config goes through
 * keras-config.ts and `tf.models.modelFromJSON`, so these models reach the same layer graph,
 * engines and views as TF.js layers models. Nothing here opens a file: callers hand in an
 * opened HDF5 root (h5wasm in Node and in the browser) and bytes.
 */
import * as tf from '@tensorflow/tfjs';
import { strFromU8 } from 'fflate';
import { ConvscopeError } from '../errors.js';
import { assertFiniteWeights } from './finite-weights.js';
import type { KerasArchive } from './keras-archive.js';
import { normalizeKerasConfig, type KerasTopology } from './keras-config.js';
import { applyKerasWeights, type Hdf5GroupLike } from './keras-hdf5.js';
import { applyKeras3Weights } from './keras-v3-weights.js';

/** An opened HDF5 file: its root group, and how to let it go. */
export interface OpenedHdf5 {
  root: Hdf5GroupLike;
  close(): void;
}

/** Builds the (randomly initialized) model of a normalized config. */
export async function buildKerasModel(
  topology: KerasTopology,
  where: string,
): Promise<tf.LayersModel> {
  try {
    return await tf.models.modelFromJSON({
      modelTopology: topology.modelConfig as unknown as tf.io.ModelArtifacts['modelTopology'],
    } as tf.io.ModelJSON);
  } catch (error) {
    throw new ConvscopeError(
      `${where}: TF.js cannot build the model in its config: ${(error as Error).message}`,
      'convscope builds Sequential and functional Keras models of the layers TF.js implements',
      { cause: error },
    );
  }
}

/** The `model_config` attribute of a Keras `.h5` file, parsed; undefined when it has none. */
export function kerasH5ModelConfig(root: Hdf5GroupLike, where: string): unknown {
  if (!('model_config' in root.attrs)) return undefined;
  const value = root.attrs.model_config.value;
  const text =
    typeof value === 'string'
      ? value
      : value instanceof Uint8Array
        ? strFromU8(value)
        : undefined;
  try {
    if (text === undefined) throw new Error(`a ${typeof value}, not text`);
    return JSON.parse(text.replace(/[\0 ]+$/, ''));
  } catch (error) {
    throw new ConvscopeError(
      `${where}: the model_config attribute is not JSON (${(error as Error).message})`,
      'the file is damaged; save the model again with `model.save("model.h5")`',
    );
  }
}

/** Disposes `model` when `load` fails, then rethrows; checks the weights are finite. */
async function fillOrDispose(
  model: tf.LayersModel,
  where: string,
  load: () => void,
): Promise<tf.LayersModel> {
  try {
    load();
    await assertFiniteWeights(model, where);
    return model;
  } catch (error) {
    model.dispose();
    throw error;
  }
}

/**
 * Builds the model of a Keras `.h5` full-model file (opened HDF5 root) and loads its weights.
 * Throws a ConvscopeError when the file holds weights only (no `model_config`).
 * @example const model = await loadKerasH5Model(new h5wasm.File('model.h5', 'r'), 'model.h5');
 */
export async function loadKerasH5Model(
  root: Hdf5GroupLike,
  where: string,
): Promise<tf.LayersModel> {
  const config = kerasH5ModelConfig(root, where);
  if (config === undefined) {
    throw new ConvscopeError(
      `${where} holds Keras weights only (no model_config attribute)`,
      'save the whole model with `model.save("model.h5")`, or name the architecture with --arch',
    );
  }
  const topology = normalizeKerasConfig(config, where);
  const model = await buildKerasModel(topology, where);
  return fillOrDispose(model, where, () => {
    applyKerasWeights(model, root, { source: where, hint: 'the weights do not match the config' });
  });
}

/**
 * Builds the model of a `.keras` archive and loads its weights; `openWeights` opens the bytes
 * of `model.weights.h5` as HDF5 (h5wasm: a temporary file in Node, its in-memory FS in pages).
 * @example const model = await loadKerasArchiveModel(readKerasArchive(bytes, name), open, name);
 */
export async function loadKerasArchiveModel(
  archive: KerasArchive,
  openWeights: (bytes: Uint8Array) => Promise<OpenedHdf5>,
  where: string,
): Promise<tf.LayersModel> {
  const topology = normalizeKerasConfig(archive.config, where);
  const model = await buildKerasModel(topology, where);
  let opened: OpenedHdf5;
  try {
    opened = await openWeights(archive.weights);
  } catch (error) {
    model.dispose();
    if (error instanceof ConvscopeError) throw error;
    throw new ConvscopeError(
      `${where}: model.weights.h5 in the archive is not readable HDF5 (${(error as Error).message})`,
      'the archive is damaged; save the model again',
    );
  }
  try {
    return await fillOrDispose(model, where, () => {
      applyKeras3Weights(model, opened.root, topology.layerClasses, { source: where });
    });
  } finally {
    opened.close();
  }
}
