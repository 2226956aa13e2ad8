/**
 * Opens a model in the compute worker: from a URL (the server's embedded and cached zoo
 * models, any TF.js `model.json` on the web, an ONNX file, or a Keras `.keras`/full-model `.h5`)
 * or from dropped files (model.json with its shards, a .onnx, .keras or .h5 file; optionally
 * labels.json and mean.png). The model.json checks and shard assembly are core's
 * (`layers-artifacts.ts`), as are the ONNX and Keras importers, shared with the CLI, so both give
 * the same messages.
 */
import { ConvscopeError } from '../../../src/core/errors.js';
import {
  buildLayersModel,
  fetchBytes as fetchModelBytes,
  layersArtifacts,
  parseModelJson,
} from '../../../src/core/models/layers-artifacts.js';
import type { PreprocessMode } from '../../../src/core/models/input-spec.js';
import { onnxVisModel } from '../../../src/core/models/onnx/onnx-model.js';
import { VisModel } from '../../../src/core/models/vis-model.js';
import type { ModelSource } from '../bridge/protocol.js';
import { bitmapRgba } from '../draw/images.js';
import { isKerasName, kerasModelFromBytes } from './keras-model.js';

// A model on another origin must allow this page (CORS and, under COEP, CORP headers).
const CROSS_ORIGIN_HINT =
  'check the URL; a server on another origin must allow it (CORS, Cross-Origin-Resource-Policy)';
type Fetch = (url: string) => Promise<ArrayBuffer>;

/** Downloads that stop when `signal` aborts (a newer model choice). */
const fetcher =
  (signal?: AbortSignal): Fetch =>
  (url) =>
    fetchModelBytes(url, CROSS_ORIGIN_HINT, (u) => fetch(u, { signal }));

/**
 * An optional file beside model.json (labels.json, mean.png), as the CLI reads them: absent
 * (HTTP error or unreachable) is fine, anything the server does send is used.
 */
async function optionalBeside(
  name: string,
  base: URL,
  signal?: AbortSignal,
): Promise<ArrayBuffer | undefined> {
  const response = await fetch(new URL(name, base), { signal }).catch((error: unknown) => {
    if (signal?.aborted) throw error;
    return null;
  });
  return response?.ok ? response.arrayBuffer() : undefined;
}

function parseLabels(bytes: ArrayBuffer, where: string): unknown {
  try {
    return JSON.parse(decode(bytes));
  } catch (error) {
    throw new ConvscopeError(
      `${where} is not JSON: ${(error as Error).message}`,
      'labels.json must be a JSON array of class names, one per output unit',
    );
  }
}

/** A PNG/JPEG blob as HWC floats in [0, 1] at the model's input size (gray: the red channel). */
async function decodeMean(
  blob: Blob,
  height: number,
  width: number,
  channels: number,
): Promise<Float32Array> {
  const { data } = bitmapRgba(await createImageBitmap(blob), width, height);
  const out = new Float32Array(height * width * channels);
  for (let p = 0; p < height * width; p++) {
    for (let c = 0; c < channels; c++) out[p * channels + c] = data[p * 4 + c] / 255;
  }
  return out;
}

const decode = (bytes: ArrayBuffer) => new TextDecoder().decode(bytes);

interface Opened {
  model: Awaited<ReturnType<typeof buildLayersModel>>;
  preprocess?: string;
  labels?: unknown;
  mean?: Blob;
}

/** labels.json and mean.png of a URL model: named by the server's catalog, or else beside it. */
async function urlExtras(
  source: Extract<ModelSource, { kind: 'url' }>,
  base: URL,
  signal?: AbortSignal,
): Promise<Pick<Opened, 'labels' | 'mean'>> {
  const fetchBytes = fetcher(signal);
  const labelsBytes = source.labelsUrl
    ? await fetchBytes(source.labelsUrl)
    : await optionalBeside('labels.json', base, signal);
  const meanBytes = source.meanUrl
    ? await fetchBytes(source.meanUrl)
    : await optionalBeside('mean.png', base, signal);
  const labelsWhere = source.labelsUrl ?? new URL('labels.json', base).href;
  const labels = labelsBytes ? parseLabels(labelsBytes, labelsWhere) : undefined;
  const mean = meanBytes ? new Blob([meanBytes]) : undefined;
  return { labels, mean };
}

/** labels.json and mean.png among dropped files. */
async function fileExtras(files: File[]): Promise<Pick<Opened, 'labels' | 'mean'>> {
  const labelsFile = files.find((f) => f.name === 'labels.json');
  const labels = labelsFile
    ? parseLabels(await labelsFile.arrayBuffer(), 'the dropped labels.json')
    : undefined;
  return { labels, mean: files.find((f) => f.name === 'mean.png') };
}

async function openUrl(
  source: Extract<ModelSource, { kind: 'url' }>,
  signal?: AbortSignal,
): Promise<Opened> {
  const fetchBytes = fetcher(signal);
  const base = new URL(source.url, self.location.href);
  const json = parseModelJson(decode(await fetchBytes(base.href)), source.url);
  const artifacts = await layersArtifacts(json, source.url, (name) =>
    fetchBytes(new URL(name, base).href),
  );
  const extras = await urlExtras(source, base, signal);
  const model = await buildLayersModel(artifacts, source.url);
  return { model, preprocess: source.preprocess ?? json.convscope?.preprocess, ...extras };
}

async function openFiles(source: Extract<ModelSource, { kind: 'files' }>): Promise<Opened> {
  const byName = new Map(source.files.map((f) => [f.name, f]));
  const jsonFile = source.files.find((f) => f.name.endsWith('.json') && f.name !== 'labels.json');
  if (!jsonFile) {
    throw new ConvscopeError(
      'no model.json, .onnx, .keras or .h5 file among the dropped files',
      'drop a model file, or a model.json together with all its .bin weight shards',
    );
  }
  const json = parseModelJson(await jsonFile.text(), jsonFile.name);
  const artifacts = await layersArtifacts(json, jsonFile.name, async (name) => {
    const file = byName.get(name.split('/').pop()!);
    if (!file) {
      throw new ConvscopeError(
        `weights shard '${name}' listed in ${jsonFile.name} was not dropped`,
        'drop the model.json together with all its .bin weight shards',
      );
    }
    return file.arrayBuffer();
  });
  const model = await buildLayersModel(artifacts, jsonFile.name);
  return { model, preprocess: json.convscope?.preprocess, ...(await fileExtras(source.files)) };
}

/** A Keras `.keras` or full-model `.h5` by URL or among dropped files, built by core's code. */
async function openKeras(source: ModelSource, signal?: AbortSignal): Promise<Opened | undefined> {
  if (source.kind === 'url') {
    if (!isKerasName(source.url)) return undefined;
    const base = new URL(source.url, self.location.href);
    const bytes = await fetcher(signal)(base.href);
    const extras = await urlExtras(source, base, signal);
    const model = await kerasModelFromBytes(new Uint8Array(bytes), source.url);
    return { model, preprocess: source.preprocess, ...extras };
  }
  const file = source.files.find((f) => isKerasName(f.name));
  if (!file) return undefined;
  const extras = await fileExtras(source.files);
  return {
    model: await kerasModelFromBytes(new Uint8Array(await file.arrayBuffer()), file.name),
    ...extras,
  };
}

const isOnnx = (name: string) => /\.onnx([?#].*)?$/i.test(name);

/**
 * An ONNX model by URL or among dropped files, through core's importer (as the CLI's), with the
 * labels.json found as for other models (a mean.png is not used: the importer has no mean image).
 */
async function openOnnx(source: ModelSource, signal?: AbortSignal): Promise<VisModel | undefined> {
  let bytes: ArrayBuffer;
  let extras: Pick<Opened, 'labels'>;
  if (source.kind === 'url') {
    if (!isOnnx(source.url)) return undefined;
    const base = new URL(source.url, self.location.href);
    bytes = await fetcher(signal)(base.href);
    extras = await urlExtras(source, base, signal);
  } else {
    const file = source.files.find((f) => isOnnx(f.name));
    if (!file) return undefined;
    bytes = await file.arrayBuffer();
    extras = await fileExtras(source.files);
  }
  const preprocess = source.kind === 'url' ? source.preprocess : undefined;
  return onnxVisModel(new Uint8Array(bytes), {
    name: source.name,
    labels: Array.isArray(extras.labels) ? extras.labels.map(String) : undefined,
    input: preprocess ? { preprocess: preprocess as PreprocessMode } : undefined,
  });
}

/**
 * Loads the model of `source` as a VisModel.
 * @example const model = await openModel({ kind: 'url', name: 'embedded', url: '/models/embedded/model.json' });
 */
export async function openModel(source: ModelSource, signal?: AbortSignal): Promise<VisModel> {
  const onnx = await openOnnx(source, signal);
  if (onnx) return onnx;
  const opened =
    (await openKeras(source, signal)) ??
    (source.kind === 'url' ? await openUrl(source, signal) : await openFiles(source));
  const labels = Array.isArray(opened.labels) ? opened.labels.map(String) : undefined;
  const [, height, width, channels] = opened.model.inputs[0].shape;
  const meanImage =
    opened.mean && height && width && channels
      ? await decodeMean(opened.mean, height, width, channels)
      : undefined;
  const input = opened.preprocess ? { preprocess: opened.preprocess as PreprocessMode } : {};
  return new VisModel(opened.model, { name: source.name, labels, meanImage, input });
}
