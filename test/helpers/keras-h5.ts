/**
 * Writes a TF.js model's weights as a Keras HDF5 weights file, in exactly the layout Keras'
 * `save_weights` (legacy h5 format) and the Keras-applications VGG files use: root attributes
 * `layer_names` (fixed-length byte strings, every layer), `backend`, `keras_version`; one group
 * per layer with a `weight_names` attribute (an empty float array for weightless layers, as
 * h5py stores `[]`); the arrays at `/<layer>/<weight name>`. Written with h5wasm, the library
 * convscope reads with, never by hand.
 */
import type * as tf from '@tensorflow/tfjs';
import * as h5 from 'h5wasm/node';

export interface KerasH5Options {
  /** Old Keras 1 names (`block1_conv1_W_1:0`, `block1_conv1_b_1:0`) as in the VGG files. */
  legacyNames?: boolean;
  /** Split `layer_names` into `layer_names0`, `layer_names1` (Keras does for long lists). */
  chunkLayerNames?: boolean;
  /** Leave these layers out of the file. */
  omit?: string[];
}

function weightName(layer: string, index: number, variable: string, legacy: boolean): string {
  if (legacy) return `${layer}_${index === 0 ? 'W' : 'b'}_1:0`;
  return `${layer}/${variable.split('/').pop()}:0`;
}

function fixed(strings: string[]): string {
  return `S${Math.max(1, ...strings.map((s) => s.length))}`;
}

/** Writes `model`'s current weights to `file` in the Keras HDF5 layout. */
export async function writeKerasH5(
  model: tf.LayersModel,
  file: string,
  options: KerasH5Options = {},
): Promise<void> {
  await h5.ready;
  const out = new h5.File(file, 'w');
  try {
    const layers = model.layers.filter((l) => !options.omit?.includes(l.name));
    const names = layers.map((l) => l.name);
    if (options.chunkLayerNames) {
      const half = Math.ceil(names.length / 2);
      for (const [i, part] of [names.slice(0, half), names.slice(half)].entries()) {
        out.create_attribute(`layer_names${i}`, part, [part.length], fixed(part));
      }
    } else {
      out.create_attribute('layer_names', names, [names.length], fixed(names));
    }
    out.create_attribute('backend', 'tensorflow', null, 'S10');
    out.create_attribute('keras_version', '2.2.4', null, 'S5');
    for (const layer of [...layers].sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const group = out.create_group(layer.name);
      const values = layer.getWeights();
      const wNames = layer.weights.map((w, i) =>
        weightName(layer.name, i, w.originalName.replace(/_\d+$/, ''), !!options.legacyNames),
      );
      if (wNames.length === 0) {
        group.create_attribute('weight_names', new Float64Array(0), [0], '<f8');
        continue;
      }
      group.create_attribute('weight_names', wNames, [wNames.length], fixed(wNames));
      for (const [i, name] of wNames.entries()) {
        const parts = name.split('/');
        let parent = group;
        for (const dir of parts.slice(0, -1)) {
          parent = parent.keys().includes(dir)
            ? (parent.get(dir) as h5.Group)
            : parent.create_group(dir);
        }
        parent.create_dataset({
          name: parts[parts.length - 1],
          data: values[i].dataSync() as Float32Array,
          shape: values[i].shape,
          dtype: '<f4',
        });
      }
    }
  } finally {
    out.close();
  }
}
