/**
 * Writes a LayersModel as a TF.js layers-model directory (model.json + 4 MB weight shards,
 * the layout `tf.loadLayersModel` and the browser workbench read) plus optional labels.json
 * and a `convscope` block in model.json (zoo name, preprocessing, source file, and `files`:
 * the size and SHA-256 of every shard and labels.json, which model-dir-check.ts verifies). The
 * directory is assembled under a temporary name and renamed into place, so it is either whole
 * or absent.
 */
import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CACHE_REMEDY, makeFolder, writeError } from '../fs-errors.js';

const SHARD_BYTES = 4 * 1024 * 1024;

export interface ModelDirExtras {
  labels?: string[];
  /** Written into model.json under `convscope` (ignored by tfjs). */
  meta?: Record<string, unknown>;
}

/** Size and SHA-256 of a file written into the directory. */
export interface RecordedFile {
  bytes: number;
  sha256: string;
}

function record(bytes: Uint8Array): RecordedFile {
  return { bytes: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex') };
}

function splitShards(data: tf.io.WeightData): Uint8Array[] {
  const parts = Array.isArray(data) ? data : [data];
  const whole =
    parts.length === 1
      ? new Uint8Array(parts[0])
      : new Uint8Array(tf.io.concatenateArrayBuffers(parts));
  const shards: Uint8Array[] = [];
  for (let start = 0; start < whole.byteLength; start += SHARD_BYTES) {
    shards.push(whole.subarray(start, Math.min(start + SHARD_BYTES, whole.byteLength)));
  }
  return shards;
}

/**
 * Saves `model` to `dir` (replacing what is there) atomically.
 * @example await saveModelDir(model, '~/.cache/convscope/models/vgg16', { labels });
 */
export async function saveModelDir(
  model: tf.LayersModel,
  dir: string,
  extras: ModelDirExtras = {},
): Promise<void> {
  const temporary = `${dir}.${process.pid}.${Date.now()}.tmp`;
  const labels = extras.labels ? new TextEncoder().encode(JSON.stringify(extras.labels)) : null;
  await makeFolder(temporary, CACHE_REMEDY);
  try {
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        const shards = splitShards(artifacts.weightData ?? new ArrayBuffer(0));
        const paths = shards.map((_, i) => `group1-shard${i + 1}of${shards.length}.bin`);
        const files: Record<string, RecordedFile> = {};
        for (const [i, shard] of shards.entries()) {
          await writeFile(path.join(temporary, paths[i]), shard);
          files[paths[i]] = record(shard);
        }
        if (labels) files['labels.json'] = record(labels);
        const json = {
          format: 'layers-model',
          generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
          convertedBy: 'convscope',
          modelTopology: artifacts.modelTopology,
          weightsManifest: [{ paths, weights: artifacts.weightSpecs ?? [] }],
          convscope: { ...extras.meta, files },
        };
        await writeFile(path.join(temporary, 'model.json'), JSON.stringify(json));
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    if (labels) await writeFile(path.join(temporary, 'labels.json'), labels);
    await rm(dir, { recursive: true, force: true });
    await rename(temporary, dir);
  } catch (error) {
    throw writeError(error, dir, CACHE_REMEDY);
  } finally {
    await rm(temporary, { recursive: true, force: true });
  }
}
