/**
 * Opens an ONNX model (`torch.onnx.export`) for the CLI: a `.onnx` file, a folder holding
 * `model.onnx`, or an http(s) URL. Weights stored as external data are read from files beside
 * the model (never outside its folder). Labels come from `--labels` or `labels.json` beside it.
 * The import itself is core's (onnx-model.ts), shared with the workbench.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { ConvscopeError } from '../core/errors.js';
import { fetchBytes } from '../core/models/layers-artifacts.js';
import { onnxVisModel } from '../core/models/onnx/onnx-model.js';
import type { ExternalDataReader } from '../core/models/onnx/onnx-read.js';
import type { InputSpec } from '../core/models/input-spec.js';
import type { VisModel } from '../core/models/vis-model.js';
import { timedFetch } from './http-get.js';
import { labelsBeside } from './labels-file.js';
import { isUrl } from './load-layers-model.js';

/** True when `spec` names an ONNX model: a .onnx file or URL, or a folder with model.onnx. */
export function isOnnxSpec(spec: string): boolean {
  if (/\.onnx(\?.*)?$/i.test(spec)) return true;
  if (isUrl(spec)) return false;
  return existsSync(path.join(spec, 'model.onnx')) && !existsSync(path.join(spec, 'model.json'));
}

/** External data reader confined to the model's folder. */
function externalReader(dir: string): ExternalDataReader {
  return (location, offset, length) => {
    const file = path.resolve(dir, location);
    if (path.relative(dir, file).startsWith('..') || path.isAbsolute(location)) {
      throw new ConvscopeError(
        `the model's external data '${location}' points outside its folder`,
        'keep the data file beside the model',
      );
    }
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch {
      throw new ConvscopeError(
        `the model's weights are stored in '${location}' beside it, which is missing (${file})`,
        'copy the .data file the exporter wrote next to the .onnx file',
      );
    }
    try {
      const size = length ?? statSync(file).size - offset;
      const bytes = new Uint8Array(size);
      const read = readSync(fd, bytes, 0, size, offset);
      if (read < size) {
        throw new ConvscopeError(
          `'${location}' ends after ${offset + read} bytes; the model needs ${offset + size}`,
          'the data file is truncated: copy it again',
        );
      }
      return bytes;
    } finally {
      closeSync(fd);
    }
  };
}

export interface OnnxOpenOptions {
  input?: Partial<InputSpec>;
  size?: number;
}

async function readModelBytes(spec: string): Promise<{ bytes: Uint8Array; dir?: string }> {
  if (isUrl(spec))
    return {
      bytes: new Uint8Array(await fetchBytes(spec, 'check the URL and your network', timedFetch())),
    };
  const info = await stat(spec).catch(() => null);
  if (!info)
    throw new ConvscopeError(
      `no such model: ${spec}`,
      'pass a .onnx file, a folder with model.onnx, or an http(s) URL',
    );
  const file = info.isDirectory() ? path.join(spec, 'model.onnx') : spec;
  const bytes = await readFile(file).catch((error: NodeJS.ErrnoException) => {
    throw new ConvscopeError(`cannot read ${file}: ${error.message}`);
  });
  return { bytes, dir: path.dirname(path.resolve(file)) };
}

/** Opens the ONNX model at `spec` (file, folder or URL) as a VisModel. */
export async function openOnnxModel(
  spec: string,
  options: OnnxOpenOptions = {},
): Promise<VisModel> {
  const { bytes, dir } = await readModelBytes(spec);
  const labels = dir ? await labelsBeside(dir) : undefined;
  return onnxVisModel(bytes, {
    name: spec,
    size: options.size ? [options.size, options.size] : undefined,
    labels,
    input: options.input,
    readExternal: dir ? externalReader(dir) : undefined,
  });
}
