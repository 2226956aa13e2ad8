/**
 * Bad Keras model files give one clear ConvscopeError each, naming the file and what is wrong:
 * not HDF5, not a zip, a damaged zip, no config.json, corrupt or mismatched weights, a layer
 * class TF.js lacks (named with its layer), an option TF.js would ignore, a subclassed model,
 * and a weights-only `.h5` without `--arch` (today's message). The variants are made from the
 * committed fixtures by editing their config or bytes.
 */
import * as tf from '@tensorflow/tfjs';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConvscopeError } from '../src/core/errors.js';
import { initBackend } from '../src/node/backend.js';
import { openModel } from '../src/node/open-model.js';
import { writeKerasH5 } from './helpers/keras-h5.js';

const FIXTURES = path.resolve('test/fixtures/keras');
let dir: string;
let residual: Record<string, Uint8Array>;

beforeAll(async () => {
  await initBackend('cpu');
  dir = await mkdtemp(path.join(tmpdir(), 'convscope-keras-bad-'));
  residual = unzipSync(new Uint8Array(await readFile(path.join(FIXTURES, 'residual.keras'))));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

type Config = {
  config: { layers: { class_name: string; config: Record<string, unknown> }[] };
  class_name: string;
};

/** A copy of residual.keras with its config or members changed; returns its path. */
async function variant(
  name: string,
  edit: (files: Record<string, Uint8Array>, config: Config) => void,
): Promise<string> {
  const files = { ...residual };
  const config = JSON.parse(strFromU8(files['config.json'])) as Config;
  edit(files, config);
  if (files['config.json']) files['config.json'] = strToU8(JSON.stringify(config));
  const file = path.join(dir, name);
  await writeFile(file, zipSync(files, { level: 0 }));
  return file;
}

/** The ConvscopeError `openModel` throws for `model` (fails the test if it loads). */
async function failure(model: string, extra: { arch?: string } = {}): Promise<ConvscopeError> {
  const error = await openModel({ model, ...extra }).then(
    () => new Error('expected the model to be refused'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConvscopeError);
  expect((error as Error).message).not.toContain('\n');
  return error as ConvscopeError;
}

describe('bad Keras model files', () => {
  it('a .h5 that is not HDF5', async () => {
    const file = path.join(dir, 'page.h5');
    await writeFile(file, '<html>404</html>');
    expect((await failure(file)).message).toBe(`${file} is not an HDF5 file`);
  });

  it('a .keras that is not a zip, and a truncated one', async () => {
    const text = path.join(dir, 'text.keras');
    await writeFile(text, 'not a zip');
    expect((await failure(text)).message).toBe(`${text} is not a .keras archive (not a zip file)`);
    const cut = path.join(dir, 'cut.keras');
    const bytes = await readFile(path.join(FIXTURES, 'residual.keras'));
    await writeFile(cut, bytes.subarray(0, bytes.length - 200));
    expect((await failure(cut)).message).toMatch(/cut\.keras is a damaged zip archive/);
  });

  it('a .keras without config.json', async () => {
    const file = await variant('noconfig.keras', (files) => delete files['config.json']);
    expect((await failure(file)).message).toBe(
      `${file} has no config.json, so no model architecture`,
    );
  });

  it('a .keras whose weights are not HDF5', async () => {
    const file = await variant('badweights.keras', (files) => {
      files['model.weights.h5'] = strToU8('garbage, not HDF5');
    });
    expect((await failure(file)).message).toBe(`${file} (model.weights.h5) is not an HDF5 file`);
  });

  it('a .keras whose weights belong to another model: the layer and shapes are named', async () => {
    const file = await variant('wider.keras', (_, config) => {
      config.config.layers.find((l) => l.config.name === 'res_conv_a')!.config.filters = 9;
    });
    expect((await failure(file)).message).toMatch(
      /layer 'res_conv_a' weight 'layers\/conv2d_1\/vars\/0' has shape \[3, 3, 8, 8\] but the model expects \[3, 3, 8, 9\]/,
    );
  });

  it("a .keras whose config and weights disagree on a layer's arrays", async () => {
    const file = await variant('nobias.keras', (_, config) => {
      config.config.layers.find((l) => l.class_name === 'Dense')!.config.use_bias = false;
    });
    expect((await failure(file)).message).toBe(
      `${file}: layer 'logits' has 1 weight arrays but the weights file holds 2 at layers/dense/vars`,
    );
  });

  it('a config wired to a layer it does not have (TF.js would wait for it forever)', async () => {
    const file = await variant('dangling.keras', (_, config) => {
      const dense = config.config.layers.find((l) => l.class_name === 'Dense')!;
      const node = JSON.stringify((dense as unknown as { inbound_nodes: unknown }).inbound_nodes);
      Object.assign(dense, { inbound_nodes: JSON.parse(node.replace('"gap"', '"gap_2"')) });
    });
    expect((await failure(file)).message).toBe(
      `${file}: layer 'logits' takes its input from 'gap_2', which is not a layer of the model`,
    );
  });

  it('an unsupported layer class names the layer and the class', async () => {
    const file = await variant('custom.keras', (_, config) => {
      const layer = config.config.layers.find((l) => l.config.name === 'res_relu')!;
      Object.assign(layer, { class_name: 'MyGatedUnit', module: 'my_package.layers' });
    });
    expect((await failure(file)).message).toBe(
      `${file}: layer 'res_relu' is a MyGatedUnit, a layer class convscope cannot build`,
    );
  });

  it('an option TF.js would ignore (grouped conv) is refused, not approximated', async () => {
    const file = await variant('groups.keras', (_, config) => {
      config.config.layers.find((l) => l.config.name === 'res_conv_b')!.config.groups = 2;
    });
    expect((await failure(file)).message).toBe(
      `${file}: layer 'res_conv_b' (Conv2D) uses groups=2, which TF.js cannot compute`,
    );
  });

  it('a subclassed model has no architecture to build', async () => {
    const file = await variant('subclassed.keras', (_, config) => {
      config.class_name = 'MyResNet';
    });
    expect((await failure(file)).message).toBe(
      `${file}: the model is a MyResNet, not a Sequential or functional model`,
    );
  });

  it('a weights-only .h5 without --arch keeps its message; with --arch the old path runs', async () => {
    const model = tf.sequential({
      layers: [tf.layers.conv2d({ inputShape: [8, 8, 3], filters: 2, kernelSize: 3, name: 'c' })],
    });
    const file = path.join(dir, 'weights-only.h5');
    await writeKerasH5(model, file);
    expect((await failure(file)).message).toBe(
      `${file} holds Keras weights only; name the architecture with --arch`,
    );
    // With --arch the old weights-only path runs (and here says the file is not a VGG).
    expect((await failure(file, { arch: 'vgg16-notop' })).message).toMatch(
      /has no weights for layer 'block1_conv1'/,
    );
  });

  it('--arch is refused for a .keras archive', async () => {
    const file = path.join(FIXTURES, 'residual.keras');
    expect((await failure(file, { arch: 'vgg16' })).message).toBe(
      `--arch applies to Keras .h5 weights files, not to ${file}`,
    );
  });
});
