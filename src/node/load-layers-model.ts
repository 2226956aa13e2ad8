/**
 * Loads a TF.js layers model (`model.json` + weight shards) from a directory, a file path or
 * an http(s) URL, and turns every way that can fail into one ConvscopeError that says what is
 * wrong and what to do: missing path, invalid JSON, a graph model instead of a layers model,
 * a missing or truncated shard, a failed download. URLs are fetched with connect and idle
 * timeouts (see http-get.ts).
 */
import type * as tf from '@tensorflow/tfjs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { ConvscopeError } from '../core/errors.js';
import {
  buildLayersModel,
  fetchBytes,
  layersArtifacts,
  parseModelJson,
} from '../core/models/layers-artifacts.js';
import { timedFetch } from './http-get.js';

export function isUrl(spec: string): boolean {
  return /^https?:\/\//i.test(spec);
}

/** Reads model.json and its shards (local or remote) and checks every shard's size. */
async function readArtifacts(spec: string): Promise<tf.io.ModelArtifacts> {
  let jsonText: string;
  let readShard: (name: string) => Promise<ArrayBuffer>;
  let where: string;
  if (isUrl(spec)) {
    where = spec;
    const fetch = timedFetch();
    const hint = 'check the URL and your network';
    jsonText = new TextDecoder().decode(await fetchBytes(spec, hint, fetch));
    readShard = (name) => fetchBytes(new URL(name, spec).toString(), hint, fetch);
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
  return layersArtifacts(parseModelJson(jsonText, where), where, readShard);
}

/** Loads a TF.js layers model from a directory, a model.json path or an http(s) URL. */
export async function loadLayersModel(spec: string): Promise<tf.LayersModel> {
  return buildLayersModel(await readArtifacts(spec), spec);
}
