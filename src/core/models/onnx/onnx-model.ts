/**
 * An imported ONNX model as a VisModel, the same in Node and in the browser: PyTorch module
 * aliases and folded-batch-norm notes attached, torchvision's preprocessing for 3-channel models
 * at ImageNet-like sizes unless told otherwise, and a new import (not a re-instantiated topology)
 * when a method wants another input size, since explicit pads and global pools depend on it.
 */
import type { InputSpec } from '../input-spec.js';
import { VisModel } from '../vis-model.js';
import type { ExternalDataReader } from './onnx-read.js';
import { importOnnx } from './onnx-to-layers.js';

export interface OnnxModelOptions {
  /** Names the model (a path, URL or file name). */
  name: string;
  /** Input size for dynamic axes (or to override the exported one). */
  size?: [number, number];
  labels?: string[];
  /** Overrides of the input convention (`--preprocess`, `--input-range`). */
  input?: Partial<InputSpec>;
  readExternal?: ExternalDataReader;
}

/** torchvision's convention for 3-channel models at ImageNet-like sizes, raw [0, 1] otherwise. */
function defaultInput(height: number, width: number, channels: number): Partial<InputSpec> {
  return channels === 3 && Math.min(height, width) >= 112 && Math.max(height, width) <= 512
    ? { preprocess: 'torch' }
    : {};
}

/** Imports ONNX bytes as a VisModel. */
export function onnxVisModel(bytes: Uint8Array, options: OnnxModelOptions): VisModel {
  const { model, aliases, notes } = importOnnx(bytes, {
    source: options.name,
    size: options.size,
    readExternal: options.readExternal,
  });
  const [, height, width, channels] = model.inputs[0].shape as number[];
  return new VisModel(model, {
    name: options.name,
    labels: options.labels,
    input: { ...defaultInput(height, width, channels), ...options.input },
    aliases,
    notes,
    reopen: async (h, w) => onnxVisModel(bytes, { ...options, size: [h, w] }),
  });
}
