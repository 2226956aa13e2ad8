/**
 * The models the workbench can open, as `GET /api/models` lists them: the embedded model
 * (`/models/embedded/`), every zoo model already converted to TF.js in the cache
 * (`/models/zoo/<name>/`, looked up on each request, so `convscope models fetch` while the
 * server runs is picked up), and the one named by `--model` (`/models/cli/`), which becomes the
 * default. A `--model` directory is not served whole: only model.json, the weight files its
 * manifest names, labels.json and mean.png. A `.onnx`, `.keras` or full-model `.h5` file is
 * served as its one file (with labels.json and mean.png beside it); the page imports it. Zoo
 * labels come from labels.json beside the converted model or else from the cached ImageNet class
 * index, as a plain JSON array.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { ConvscopeError } from '../core/errors.js';
import { parseImagenetLabels, type ZooRecord } from '../core/models/zoo.js';
import { downloadPath, modelDir, zooRecords, type Env } from '../node/cache/cache-paths.js';
import { kerasH5HasConfig } from '../node/keras-model-file.js';
import type { StaticRoot } from './static-roots.js';
import type { ModelEntry } from '../core/server-api.js';

export type { ModelEntry };

export interface ModelCatalog {
  /** The current list (zoo entries reflect the cache now). */
  list(): Promise<ModelEntry[]>;
  /** The root of `/models/embedded/` or `/models/cli/`, if there is one. */
  root(source: 'embedded' | 'cli'): StaticRoot | undefined;
  /** The root of `/models/zoo/<name>/` when that zoo model is cached. */
  zooRoot(name: string): Promise<StaticRoot | undefined>;
  /** Class names of a cached zoo model, as `/models/zoo/<name>/labels.json` serves them. */
  zooLabels(name: string): Promise<string[] | undefined>;
}

/** The `--model` given to `serve`, resolved once at start. */
type CliModel =
  | { kind: 'none' }
  | { kind: 'zoo'; name: string }
  | { kind: 'url'; url: string; name: string }
  | { kind: 'dir'; name: string; dir: string; file: string; weights: string[] };

async function isFile(file: string): Promise<boolean> {
  return (await stat(file).catch(() => null))?.isFile() ?? false;
}

function encodePath(relative: string): string {
  return relative.split('/').map(encodeURIComponent).join('/');
}

/** Weight file paths named by a model.json (relative, `/`-separated). */
function weightPaths(json: unknown, file: string): string[] {
  const manifest = (json as { weightsManifest?: unknown }).weightsManifest;
  if (!Array.isArray(manifest)) {
    throw new ConvscopeError(
      `${file} is not a TF.js layers model (it has no weightsManifest)`,
      'pass a model.json written by tfjs (tfjs-converter, model.save) or a zoo name',
    );
  }
  const paths: string[] = [];
  for (const group of manifest as { paths?: unknown }[]) {
    for (const p of Array.isArray(group.paths) ? group.paths : []) {
      if (typeof p === 'string') paths.push(path.posix.normalize(p.replace(/^\.\//, '')));
    }
  }
  return paths;
}

async function resolveCliModel(spec: string | undefined, env: Env): Promise<CliModel> {
  if (!spec || spec === 'embedded') return { kind: 'none' };
  if (/^https?:\/\//i.test(spec)) return { kind: 'url', url: spec, name: spec };
  const record = zooRecords(env).find((r) => r.name === spec);
  if (record) {
    if (!(await isFile(path.join(modelDir(record.name, env), 'model.json')))) {
      throw new ConvscopeError(
        `zoo model '${spec}' is not in the cache yet`,
        `run \`convscope models fetch ${spec}\` first (it downloads and converts it)`,
      );
    }
    return { kind: 'zoo', name: spec };
  }
  const info = await stat(spec).catch(() => null);
  // A Keras model that carries its architecture is served as its one file, like ONNX below.
  if (/\.(keras|h5)$/i.test(spec) && info?.isFile()) {
    // openHdf5File's errors name a file that is not HDF5; weights alone give the page nothing.
    if (/\.h5$/i.test(spec) && !(await kerasH5HasConfig(spec))) {
      throw new ConvscopeError(
        `${spec} holds Keras weights only (no model_config), so serve has no architecture for it`,
        'save the whole model with `model.save()` (.keras or .h5), or import the weights of a ' +
          'zoo architecture with `convscope models add FILE --as NAME` and pass --model NAME',
      );
    }
    return {
      kind: 'dir',
      name: spec,
      dir: path.dirname(path.resolve(spec)),
      file: spec,
      weights: [],
    };
  }
  // An ONNX model is served as its one file; the page imports it with core's importer.
  const onnxFile = /\.onnx$/i.test(spec)
    ? spec
    : info?.isDirectory() &&
        (await isFile(path.join(spec, 'model.onnx'))) &&
        !(await isFile(path.join(spec, 'model.json')))
      ? path.join(spec, 'model.onnx')
      : undefined;
  if (onnxFile && (await isFile(onnxFile))) {
    return {
      kind: 'dir',
      name: spec,
      dir: path.dirname(path.resolve(onnxFile)),
      file: onnxFile,
      weights: [],
    };
  }
  if (!info) {
    throw new ConvscopeError(
      `no such model: ${spec}`,
      'pass a folder with model.json, a model.json file, a .onnx, .keras or .h5 file, an http(s) URL, or a zoo name',
    );
  }
  const file = info.isDirectory() ? path.join(spec, 'model.json') : spec;
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new ConvscopeError(
      missing ? `${spec} has no model.json` : `cannot read ${file}: ${(error as Error).message}`,
      'pass a folder with model.json (a TF.js layers model), or the model.json itself',
    );
  }
  const weights = weightPaths(json, file);
  return { kind: 'dir', name: spec, dir: path.dirname(path.resolve(file)), file, weights };
}

/** labels.json and mean.png beside a model, as URLs under `prefix`. */
async function extras(dir: string, prefix: string) {
  const found: { labelsUrl?: string; meanUrl?: string } = {};
  if (await isFile(path.join(dir, 'labels.json'))) found.labelsUrl = `${prefix}labels.json`;
  if (await isFile(path.join(dir, 'mean.png'))) found.meanUrl = `${prefix}mean.png`;
  return found;
}

/** The cached class-index download of a record, if any. */
async function cachedLabelsFile(record: ZooRecord, env: Env): Promise<string | undefined> {
  if (!record.labels) return undefined;
  const file = downloadPath(record.labels, env);
  return (await isFile(file)) ? file : undefined;
}

/**
 * Resolves `--model` (checking it exists and is a TF.js model) and returns the catalog.
 *
 * @example const catalog = await createModelCatalog({ embeddedDir, model: 'vgg16', env });
 */
export async function createModelCatalog(options: {
  embeddedDir: string;
  model?: string;
  env: Env;
}): Promise<ModelCatalog> {
  const { embeddedDir, env } = options;
  const cli = await resolveCliModel(options.model, env);
  const records = zooRecords(env);
  const cachedRecord = async (name: string) => {
    const record = records.find((r) => r.name === name);
    if (!record) return undefined;
    const cached = await isFile(path.join(modelDir(name, env), 'model.json'));
    return cached ? record : undefined;
  };

  const list = async (): Promise<ModelEntry[]> => {
    const entries: ModelEntry[] = [];
    if (await isFile(path.join(embeddedDir, 'model.json'))) {
      const prefix = '/models/embedded/';
      entries.push({
        name: 'embedded',
        source: 'embedded',
        url: `${prefix}model.json`,
        ...(await extras(embeddedDir, prefix)),
        ...(cli.kind === 'none' ? { default: true as const } : {}),
      });
    }
    for (const record of records) {
      if (!(await cachedRecord(record.name))) continue;
      const dir = modelDir(record.name, env);
      const prefix = `/models/zoo/${encodeURIComponent(record.name)}/`;
      const hasLabels =
        (await isFile(path.join(dir, 'labels.json'))) ||
        (await cachedLabelsFile(record, env)) !== undefined;
      entries.push({
        name: record.name,
        source: 'zoo',
        url: `${prefix}model.json`,
        ...(hasLabels ? { labelsUrl: `${prefix}labels.json` } : {}),
        ...(cli.kind === 'zoo' && cli.name === record.name ? { default: true as const } : {}),
        preprocess: record.preprocess,
        description: record.description,
      });
    }
    if (cli.kind === 'url') {
      entries.push({ name: cli.name, source: 'cli', url: cli.url, default: true });
    } else if (cli.kind === 'dir') {
      const prefix = '/models/cli/';
      entries.push({
        name: cli.name,
        source: 'cli',
        url: `${prefix}${encodePath(path.basename(cli.file))}`,
        ...(await extras(cli.dir, prefix)),
        default: true,
      });
    }
    return entries;
  };

  const cliRoot: StaticRoot | undefined =
    cli.kind === 'dir'
      ? {
          dir: cli.dir,
          allow: (relative) =>
            relative === path.basename(cli.file) ||
            relative === 'labels.json' ||
            relative === 'mean.png' ||
            cli.weights.includes(relative),
        }
      : undefined;

  return {
    list,
    root: (source) => (source === 'embedded' ? { dir: embeddedDir } : cliRoot),
    zooRoot: async (name) =>
      (await cachedRecord(name)) ? { dir: modelDir(name, env) } : undefined,
    zooLabels: async (name) => {
      const record = await cachedRecord(name);
      if (!record) return undefined;
      const beside = path.join(modelDir(name, env), 'labels.json');
      if (await isFile(beside)) {
        const labels = JSON.parse(await readFile(beside, 'utf8')) as unknown;
        if (Array.isArray(labels)) return labels.map(String);
      }
      const download = await cachedLabelsFile(record, env);
      return download ? parseImagenetLabels(await readFile(download, 'utf8')) : undefined;
    },
  };
}
