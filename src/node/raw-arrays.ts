/**
 * `--raw DIR`: the exact float32 arrays behind a command's PNGs, one NumPy `.npy` file each
 * (NHWC, batch axis 1), named after what they hold so a folder of them reads without a key:
 *
 * - `maps`: `<layer>.npy`, the whole layer's activations [1, h, w, channels];
 * - `attribute`: `<method>-<target>.npy`, the input gradient [1, h, w, c] (Grad-CAM: the
 *   upsampled map [1, h, w, 1], plus `gradcam-<target>-cam-<camLayer>.npy`, the map at the
 *   conv layer before upsampling), where `<target>` is `class-<k>` or `<layer>-<filter>`,
 *   with `-at-<y>-<x>` for a one-hot position;
 * - `filters` / `classes`: `<stem>.npy` beside `<stem>.png` (`<layer>_<k>`, `class_<k>...`),
 *   the optimized image [1, h, w, c] in [0, 1] before 8-bit quantization, and with --history
 *   `history/<stem>_step<NNNNN>.npy`.
 *
 * Characters that are awkward in file names (`/`, `:`, spaces in ONNX node names) become `_`.
 */
import path from 'node:path';
import type { ResolvedTarget } from '../core/methods/attribution-target.js';
import { writeNpy } from './npy.js';

/** A name made safe for a file: anything but letters, digits, `.`, `_`, `-` becomes `_`. */
export function fileStem(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
}

/** `class-3`, `block2_conv1-5` or `block2_conv1-5-at-3-4`. */
export function targetStem(target: ResolvedTarget): string {
  if (target.kind === 'class') return `class-${target.index}`;
  const at = target.position ? `-at-${target.position[0]}-${target.position[1]}` : '';
  return `${fileStem(target.layer)}-${target.channel}${at}`;
}

/**
 * Writes one array to `dir/relative` (the path relative to DIR, `.npy` included) and returns
 * the path written (DIR joined with it), for the JSON output.
 * @example const file = await writeRawArray('raw', 'block1_conv1.npy', values, [1, 28, 28, 32]);
 */
export async function writeRawArray(
  dir: string,
  relative: string,
  values: Float32Array,
  shape: readonly number[],
): Promise<string> {
  const file = path.join(dir, relative);
  await writeNpy(file, values, shape);
  return file;
}
