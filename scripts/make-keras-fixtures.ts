/**
 * Writes the Keras fixtures in test/fixtures/keras/: two small CNNs (a Sequential one and a
 * functional one with a residual Add), each as a Keras 2 `.h5` full-model file and a Keras 3
 * `.keras` archive, with seeded random weights, plus labels.json. No Python Keras is needed (or
 * available here): the files are written with h5wasm and fflate in the layouts Keras writes.
 *
 * Keras 2 `.h5` (`model.save("m.h5")`), after keras-team/keras keras/src/legacy/saving/
 * legacy_h5_format.py (`save_model_to_hdf5`, `save_weights_to_hdf5_group`, as in tf.keras 2.x):
 * root attributes `keras_version`, `backend` (text), `model_config` and `training_config`
 * (JSON, encoded to bytes); group `model_weights` with `layer_names` (every layer of
 * `model.layers`, byte strings), `backend`, `keras_version`; one group per layer (sorted by
 * name) with `weight_names` (`<layer>/kernel:0`, ...; an empty float array when it has none)
 * and each array at `model_weights/<layer>/<weight name>`. The layer configs follow a real
 * Keras 2.15 `model_config` (InputLayer `batch_input_shape`, `ragged`; initializers with
 * `module`/`registered_name`; inbound nodes as `[[layer, node, tensor, {}]]`).
 *
 * Keras 3 `.keras` (`model.save("m.keras")`), after keras/src/saving/saving_lib.py: a stored
 * (uncompressed) zip of `metadata.json`, `config.json` (serialization_lib: `module`,
 * `class_name`, `config`, `registered_name`, `build_config`; dtype as a DTypePolicy; InputLayer
 * `batch_shape`; functional nodes as `{args: [__keras_tensor__ ...], kwargs}` and a single
 * input or output as a bare `[layer, node, tensor]`) and `model.weights.h5`, where `H5Entry`
 * puts each layer's variables at `layers/<snake_case class>[_n]/vars/<i>` (every layer gets
 * its `vars` group, weightless ones too; the model's own `vars` at the root; a compiled
 * model's optimizer under `optimizer/vars`).
 *
 * Run: node --import tsx scripts/make-keras-fixtures.ts
 */
import { zipSync } from 'fflate';
import * as h5 from 'h5wasm/node';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CLASS,
  INPUT,
  RESIDUAL,
  SEQUENTIAL,
  SNAKE,
  keras2Config,
  keras3Config,
  pyJson,
  random,
  shapes,
  weightsOf,
  type Json,
  type Layer,
  type Weight,
} from './keras-fixture-models.js';

const OUT = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'test',
  'fixtures',
  'keras',
);
const LABELS = ['circle', 'square', 'stripes', 'dots'];

/** Byte-string attribute (h5py stores `bytes` and arrays of them as fixed-length strings). */
function bytesAttr(target: h5.Group, name: string, value: string | string[]): void {
  const list = Array.isArray(value) ? value : [value];
  const width = Math.max(1, ...list.map((s) => Buffer.byteLength(s)));
  target.create_attribute(name, value, Array.isArray(value) ? [list.length] : null, `A${width}`);
}

function dataset(group: h5.Group, name: string, weight: Weight): void {
  group.create_dataset({ name, data: weight.data, shape: weight.shape, dtype: '<f4' });
}

/** `group.create_group` for a `/`-separated path, creating what is missing (as h5py does). */
function groupAt(root: h5.Group, relative: string): h5.Group {
  let group = root;
  for (const part of relative.split('/')) {
    group = group.keys().includes(part) ? (group.get(part) as h5.Group) : group.create_group(part);
  }
  return group;
}

async function writeKeras2(file: string, layers: Layer[], sequential: boolean, name: string) {
  const shapeOf = shapes(layers, sequential);
  const next = random(sequential ? 11 : 23);
  const out = new h5.File(file, 'w');
  try {
    out.create_attribute('keras_version', '2.15.0');
    out.create_attribute('backend', 'tensorflow');
    bytesAttr(out, 'model_config', pyJson(keras2Config(layers, sequential, name)));
    const training = {
      loss: 'categorical_crossentropy',
      metrics: ['accuracy'],
      weighted_metrics: null,
      loss_weights: null,
      optimizer_config: { class_name: 'Custom>SGD', config: { name: 'SGD', learning_rate: 0.01 } },
    };
    bytesAttr(out, 'training_config', pyJson(training));
    const weightsRoot = out.create_group('model_weights');
    // model.layers: a Sequential's hides its InputLayer, a functional model's lists it.
    const listed = sequential ? layers.map((l) => l.name) : ['image', ...layers.map((l) => l.name)];
    bytesAttr(weightsRoot, 'layer_names', listed);
    bytesAttr(weightsRoot, 'backend', 'tensorflow');
    bytesAttr(weightsRoot, 'keras_version', '2.15.0');
    let previous = INPUT;
    const weights = new Map<string, Weight[]>();
    for (const layer of layers) {
      weights.set(
        layer.name,
        weightsOf(layer, sequential ? previous : shapeOf.get(layer.inputs[0])!, next),
      );
      previous = shapeOf.get(layer.name)!;
    }
    for (const layerName of [...listed].sort()) {
      const group = weightsRoot.create_group(layerName);
      const own = weights.get(layerName) ?? [];
      if (own.length === 0) {
        group.create_attribute('weight_names', new Float64Array(0), [0], '<f8');
        continue;
      }
      const names = own.map((w) => `${layerName}/${w.name}:0`);
      bytesAttr(group, 'weight_names', names);
      own.forEach((w, i) => dataset(groupAt(group, layerName), names[i].split('/')[1], w));
    }
  } finally {
    out.close();
  }
}

async function writeKeras3(
  file: string,
  layers: Layer[],
  sequential: boolean,
  name: string,
  compiled: boolean,
) {
  const shapeOf = shapes(layers, sequential);
  const next = random(sequential ? 31 : 47);
  const dir = await mkdtemp(path.join(tmpdir(), 'keras-fixture-'));
  const h5file = path.join(dir, 'model.weights.h5');
  const out = new h5.File(h5file, 'w');
  try {
    out.create_group('vars'); // the model's own variables (none)
    const used = new Map<string, number>();
    // A functional model's `layers` lists its InputLayer, a Sequential's does not.
    const order = sequential ? layers : [null, ...layers];
    let previous = INPUT;
    for (const layer of order) {
      const className = layer ? CLASS[layer.kind] : 'InputLayer';
      const snake = SNAKE[className];
      const count = used.get(snake);
      used.set(snake, count === undefined ? 0 : count + 1);
      const vars = groupAt(
        out,
        `layers/${count === undefined ? snake : `${snake}_${count + 1}`}/vars`,
      );
      if (!layer) continue;
      const inShape = sequential ? previous : shapeOf.get(layer.inputs[0])!;
      weightsOf(layer, inShape, next).forEach((w, i) => dataset(vars, String(i), w));
      previous = shapeOf.get(layer.name)!;
    }
    if (compiled) {
      const vars = groupAt(out, 'optimizer/vars');
      vars.create_dataset({ name: '0', data: new BigInt64Array([120n]), shape: [], dtype: '<q' });
      dataset(vars, '1', { name: 'learning_rate', shape: [], data: new Float32Array([0.01]) });
    }
  } finally {
    out.close();
  }
  const encode = (value: Json) => new TextEncoder().encode(pyJson(value));
  const mtime = new Date('2025-01-01T00:00:00Z');
  const zip = zipSync(
    {
      'metadata.json': [
        encode({ keras_version: '3.8.0', date_saved: '2025-01-01@00:00:00' }),
        { mtime },
      ],
      'config.json': [encode(keras3Config(layers, sequential, name, compiled)), { mtime }],
      'model.weights.h5': [new Uint8Array(await readFile(h5file)), { mtime }],
    },
    { level: 0 }, // Python's zipfile.ZipFile defaults to ZIP_STORED
  );
  await writeFile(file, zip);
  await rm(dir, { recursive: true, force: true });
}

await h5.ready;
await writeKeras2(path.join(OUT, 'sequential-keras2.h5'), SEQUENTIAL, true, 'sequential');
await writeKeras2(path.join(OUT, 'residual-keras2.h5'), RESIDUAL, false, 'residual');
await writeKeras3(path.join(OUT, 'sequential.keras'), SEQUENTIAL, true, 'sequential', false);
await writeKeras3(path.join(OUT, 'residual.keras'), RESIDUAL, false, 'residual', true);
await writeFile(path.join(OUT, 'labels.json'), `${JSON.stringify(LABELS)}\n`);
process.stderr.write(`wrote the Keras fixtures to ${path.relative(process.cwd(), OUT)}/\n`);
