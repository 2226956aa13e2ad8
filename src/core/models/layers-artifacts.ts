/**
 * TF.js layers-model artifacts from `model.json` text and a shard reader, with every way that
 * can fail turned into one ConvscopeError that says what is wrong and what to do: invalid
 * JSON, a graph model instead of a layers model, no weights manifest, a missing or truncated
 * shard, a topology tfjs cannot build, weights that are NaN or Infinity. Platform-free: Node
 * reads files or fetches, the browser fetches or reads dropped `File`s; both hand the bytes
 * here.
 */
import * as tf from '@tensorflow/tfjs';
import { ConvscopeError } from '../errors.js';
import { assertFiniteWeights } from './finite-weights.js';

export interface WeightsGroup {
  paths: string[];
  weights: { name: string; shape: number[]; dtype: string; quantization?: { dtype: string } }[];
}

export interface ModelJson {
  modelTopology?: unknown;
  weightsManifest?: WeightsGroup[];
  format?: string;
  /** convscope's own block (zoo name, preprocessing), written into cached models. */
  convscope?: { preprocess?: string; name?: string } & Record<string, unknown>;
}

/** The part of `fetch` used here (core has no DOM or Node types; both platforms have fetch). */
interface FetchResponse {
  ok: boolean;
  status: number;
  statusText: string;
  arrayBuffer(): Promise<ArrayBuffer>;
}
/** A `fetch`; Node passes one with connect and idle timeouts, a page one bound to a signal. */
export type FetchLike = (url: string) => Promise<FetchResponse>;

/**
 * The bytes at `url`; a network failure (while connecting or reading the body) or an HTTP
 * error status is a ConvscopeError naming the URL (`hint` says what to check). A
 * ConvscopeError thrown by `fetch` itself (Node's timed fetch) passes through as it is.
 */
export async function fetchBytes(
  url: string,
  hint = 'check the URL and your network',
  fetch: FetchLike = (globalThis as unknown as { fetch: FetchLike }).fetch,
): Promise<ArrayBuffer> {
  const failed = (error: unknown) =>
    error instanceof ConvscopeError
      ? error
      : new ConvscopeError(`cannot download ${url}: ${(error as Error).message}`, hint);
  let response: FetchResponse;
  try {
    response = await fetch(url);
  } catch (error) {
    throw failed(error);
  }
  if (!response.ok) {
    throw new ConvscopeError(
      `cannot download ${url}: HTTP ${response.status} ${response.statusText}`,
      'check the URL of the model.json',
    );
  }
  try {
    return await response.arrayBuffer();
  } catch (error) {
    throw failed(error);
  }
}

const BYTES: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  uint8: 1,
  uint16: 2,
  float16: 2,
  int8: 1,
};

/** The byte count a weights-manifest group's shards hold together, from its weight specs. */
export function groupBytes(group: WeightsGroup): number {
  return group.weights.reduce((sum, w) => {
    const size = w.shape.reduce((a, b) => a * b, 1);
    return sum + size * (BYTES[w.quantization?.dtype ?? w.dtype] ?? 4);
  }, 0);
}

/** Parses and checks model.json text; `where` names it in messages. */
export function parseModelJson(text: string, where: string): ModelJson {
  let json: ModelJson;
  try {
    json = JSON.parse(text) as ModelJson;
  } catch (error) {
    throw new ConvscopeError(
      `${where} is not valid JSON (${(error as Error).message})`,
      'is the file complete, and is it a model.json?',
    );
  }
  if (typeof json !== 'object' || json === null || !json.modelTopology) {
    throw new ConvscopeError(`${where} is not a TF.js model.json (no modelTopology)`);
  }
  const topology = json.modelTopology as Record<string, unknown>;
  if (json.format === 'graph-model' || 'node' in topology) {
    throw new ConvscopeError(
      `${where} is a TF.js graph model; convscope needs a layers model`,
      'convert the Keras model with `tensorflowjs_converter --output_format tfjs_layers_model`',
    );
  }
  if (!Array.isArray(json.weightsManifest)) {
    throw new ConvscopeError(`${where} has no weightsManifest`, 'is it a TF.js layers model.json?');
  }
  return json;
}

/**
 * Reads every shard named by `json` through `readShard` and checks the byte counts.
 * @example const artifacts = await layersArtifacts(json, 'model.json', (name) => fetchBytes(name));
 */
export async function layersArtifacts(
  json: ModelJson,
  where: string,
  readShard: (name: string) => Promise<ArrayBuffer>,
): Promise<tf.io.ModelArtifacts> {
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const buffers: ArrayBuffer[] = [];
  for (const group of json.weightsManifest ?? []) {
    const shards = await Promise.all(group.paths.map(readShard));
    const got = shards.reduce((sum, s) => sum + s.byteLength, 0);
    const expected = groupBytes(group);
    if (got !== expected) {
      throw new ConvscopeError(
        `weights shard(s) ${group.paths.join(', ')} hold ${got} bytes but ${where} expects ${expected}`,
        'the file is truncated or from another model; download or copy it again',
      );
    }
    weightSpecs.push(...(group.weights as tf.io.WeightsManifestEntry[]));
    buffers.push(...shards);
  }
  return {
    modelTopology: json.modelTopology as tf.io.ModelArtifacts['modelTopology'],
    weightSpecs,
    weightData: tf.io.concatenateArrayBuffers(buffers),
    format: json.format,
  };
}

/**
 * Builds the LayersModel; a topology tfjs rejects becomes a ConvscopeError naming `where`, and
 * so does a weight that holds NaN or Infinity (finite-weights.ts).
 */
export async function buildLayersModel(
  artifacts: tf.io.ModelArtifacts,
  where: string,
): Promise<tf.LayersModel> {
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (error) {
    throw new ConvscopeError(
      `cannot build the model in ${where}: ${(error as Error).message}`,
      'convscope reads TF.js layers models (Sequential or functional) made by tfjs or tensorflowjs_converter',
      { cause: error },
    );
  }
  try {
    await assertFiniteWeights(model, where);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model;
}
