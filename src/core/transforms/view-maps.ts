/**
 * The maps of one step's view (transforms, then the resize to the model input) for the fused
 * step of a native engine. Draws from the Rng exactly as the TF.js transforms do (same calls,
 * same order), so both paths see the same view for the same seed.
 */
import type { Rng } from '../optimize/rng.js';
import {
  cropMap,
  foldMaps,
  memoMap,
  padMap,
  resizeMap,
  rotateMap,
  type SparseMap,
} from './sparse-map.js';
import type { TransformSpec } from './transforms.js';

type Size = [height: number, width: number];

// Pads and resizes depend on sizes only: built once per run (rotations and crops are cheap).
const pad = (h: number, w: number, pixels: number, value: number) =>
  memoMap(`pad ${h} ${w} ${pixels} ${value}`, () => padMap(h, w, pixels, value));
const resize = (h: number, w: number, outH: number, outW: number) =>
  memoMap(`resize ${h} ${w} ${outH} ${outW}`, () => resizeMap(h, w, outH, outW));

function transformMap(spec: TransformSpec, [h, w]: Size, rng: Rng): SparseMap | null {
  switch (spec.kind) {
    case 'pad':
      return pad(h, w, spec.pixels, spec.value ?? 0.5);
    case 'jitter': {
      const [dy, dx] = [rng.int(spec.pixels + 1), rng.int(spec.pixels + 1)];
      return cropMap(h, w, dy, dx, h - spec.pixels, w - spec.pixels);
    }
    case 'scale': {
      const factor = rng.pick(spec.factors);
      const size: Size = [Math.max(1, Math.round(h * factor)), Math.max(1, Math.round(w * factor))];
      return size[0] === h && size[1] === w ? null : resize(h, w, size[0], size[1]);
    }
    case 'rotate': {
      const degrees = rng.pick(spec.degrees);
      return degrees === 0 ? null : rotateMap(h, w, degrees, 0.5);
    }
    case 'crop':
    case 'noise':
      // maximize does not fuse these (see `fusableTransforms`).
      throw new Error(`the fused step has no sparse map for '${spec.kind}'`);
  }
}

/** True when every transform has a sparse map (the fused step can run them). */
export const fusableTransforms = (specs: TransformSpec[]): boolean =>
  specs.every((s) => s.kind !== 'crop' && s.kind !== 'noise');

/**
 * The view of an `image`-sized picture as a short chain of sparse maps ending at the model's
 * `input` size (shifts and crops folded into their neighbours). An identity view gives a
 * single one-tap map.
 */
export function viewMaps(specs: TransformSpec[], image: Size, input: Size, rng: Rng): SparseMap[] {
  const maps: SparseMap[] = [];
  let size = image;
  for (const spec of specs) {
    const map = transformMap(spec, size, rng);
    if (!map) continue;
    maps.push(map);
    size = [map.outHeight, map.outWidth];
  }
  if (size[0] !== input[0] || size[1] !== input[1]) {
    maps.push(resize(size[0], size[1], input[0], input[1]));
  }
  if (maps.length === 0) maps.push(cropMap(image[0], image[1], 0, 0, image[0], image[1]));
  return foldMaps(maps);
}
