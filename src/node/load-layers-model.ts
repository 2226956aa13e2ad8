/**
 * Loads a TF.js layers model (`model.json` + weight shards) from a directory, a file path or
 * an http(s) URL, and turns every way that can fail into one ConvscopeError that says what is
 * wrong and what to do: missing path, invalid JSON, a graph model instead of a layers model,
 * a missing or truncated shard, a failed download.
 */
import * as tf from '@tensorflow/tfjs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { ConvscopeError } from '../core/errors.js';

interface WeightsGroup {
  paths: string[];
  weights: { name: string; shape: number[]; dtype: string; quantization?: { dtype: string } }[];
}

interface ModelJson {
  modelTopology?: unknown;
  weightsManifest?: WeightsGroup[];
  format?: string;
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

function groupBytes(group: WeightsGroup): number {
  return group.weights.reduce((sum, w) => {
    const size = w.shape.reduce((a, b) => a * b, 1);
    return sum + size * (BYTES[w.quantization?.dtype ?? w.dtype] ?? 4);
  }, 0);
}

export function isUrl(spec: string): boolean {
  return /^https?:\/\//i.test(spec);
}

async function fetchBytes(url: string): Promise<ArrayBuffer> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new ConvscopeError(
      `cannot download ${url}: ${(error as Error).message}`,
      'check the URL and your network',
    );
  }
  if (!response.ok) {
    throw new ConvscopeError(
      `cannot download ${url}: HTTP ${response.status} ${response.statusText}`,
    );
  }
  return response.arrayBuffer();
}

function parseModelJson(text: string, where: string): ModelJson {
  let json: ModelJson;
  try {
    json = JSON.parse(text) as ModelJson;
  } catch (error) {
    throw new ConvscopeError(
      `${where} is not valid JSON (${(error as Error).message})`,
      'is the file complete?',
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

/** Reads model.json and its shards (local or remote) and checks every shard's size. */
async function readArtifacts(spec: string): Promise<tf.io.ModelArtifacts> {
  let jsonText: string;
  let readShard: (name: string) => Promise<ArrayBuffer>;
  let where: string;
  if (isUrl(spec)) {
    where = spec;
    jsonText = new TextDecoder().decode(await fetchBytes(spec));
    readShard = (name) => fetchBytes(new URL(name, spec).toString());
  } else {
    let file = path.resolve(spec);
    const info = await stat(file).catch(() => null);
    if (!info) {
      throw new ConvscopeError(
        `model not found: ${spec}`,
        'pass `embedded`, a zoo name, a directory holding model.json, a model.json path or an http(s) URL',
      );
    }
    if (info.isDirectory()) file = path.join(file, 'model.json');
    where = file;
    jsonText = await readFile(file, 'utf8').catch(() => {
      throw new ConvscopeError(
        `no model.json in ${spec}`,
        'pass the directory of a TF.js layers model',
      );
    });
    readShard = async (name) => {
      const shard = path.join(path.dirname(file), name);
      const bytes = await readFile(shard).catch(() => {
        throw new ConvscopeError(
          `weights shard '${name}' listed in ${where} is missing`,
          `expected it at ${shard}; copy all files of the model`,
        );
      });
      return bytes.buffer.slice(
        bytes.byteOffset,
        bytes.byteOffset + bytes.byteLength,
      ) as ArrayBuffer;
    };
  }
  const json = parseModelJson(jsonText, where);
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const buffers: ArrayBuffer[] = [];
  for (const group of json.weightsManifest!) {
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

/** Loads a TF.js layers model from a directory, a model.json path or an http(s) URL. */
export async function loadLayersModel(spec: string): Promise<tf.LayersModel> {
  const artifacts = await readArtifacts(spec);
  try {
    return await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (error) {
    throw new ConvscopeError(
      `cannot build the model in ${spec}: ${(error as Error).message}`,
      'convscope reads TF.js layers models (Sequential or functional) made by tfjs or tensorflowjs_converter',
      { cause: error },
    );
  }
}
