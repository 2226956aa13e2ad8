/**
 * A unit's kernel as one small PNG at one pixel per weight (the page upscales it with CSS):
 * the tiles `filterWeights` draws (a first layer's gray or RGB kernel as one tile; a deeper
 * layer's kernel as one diverging-colour slice per input channel), laid out in a near-square
 * grid with a transparent pixel between slices. The same pictures as `convscope weights`.
 */
import path from 'node:path';
import { filterWeights, type WeightTile } from '../../core/methods/weights.js';
import type { RgbaImage } from '../../core/image/rgba.js';
import type { VisModel } from '../../core/models/vis-model.js';
import { writeBytesAtomic } from '../atomic-write.js';
import { encodePng } from '../grid-png.js';
import { layerFolder } from './plan.js';

/** The slices of one filter in a grid of `columns` (1 px transparent gaps). */
export function kernelMosaic(tiles: RgbaImage[]): RgbaImage {
  const columns = Math.ceil(Math.sqrt(tiles.length));
  const rows = Math.ceil(tiles.length / columns);
  const { width: w, height: h } = tiles[0];
  const width = columns * (w + 1) - 1;
  const height = rows * (h + 1) - 1;
  const data = new Uint8ClampedArray(width * height * 4);
  tiles.forEach((tile, i) => {
    const x0 = (i % columns) * (w + 1);
    const y0 = Math.floor(i / columns) * (h + 1);
    for (let y = 0; y < h; y++) {
      const from = y * w * 4;
      data.set(tile.data.subarray(from, from + w * 4), ((y0 + y) * width + x0) * 4);
    }
  });
  return { width, height, data };
}

/**
 * Writes `kernels/<layer>/<k>.png` for the filters given; returns each one's site-relative
 * file and the layer's kernel shape (HWIO).
 */
export async function writeKernels(
  model: VisModel,
  layer: string,
  filters: number[],
  siteDir: string,
): Promise<{ files: Map<number, string>; kernelShape: number[] }> {
  const weights = await filterWeights(model, layer, { filters });
  const byFilter = new Map<number, WeightTile[]>();
  for (const tile of weights.tiles) {
    byFilter.set(tile.filter, [...(byFilter.get(tile.filter) ?? []), tile]);
  }
  const files = new Map<number, string>();
  for (const [filter, tiles] of byFilter) {
    const file = path.posix.join('kernels', layerFolder(layer), `${filter}.png`);
    const image = kernelMosaic(tiles.map((t) => t.image));
    await writeBytesAtomic(path.join(siteDir, file), await encodePng(image));
    files.set(filter, file);
  }
  return { files, kernelShape: [...weights.kernelShape] };
}
