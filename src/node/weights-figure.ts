/**
 * The weights figure: the tiles of `filterWeights` laid out as a grid (one tile per filter, or
 * a row per filter with a tile per input channel) with a colour bar that says what the colors
 * mean: zero in the middle, ±m at the ends, m the layer's largest |weight| with a shared scale
 * or each filter's (then written beside the filter). Slices are shown at least 64 px, as other
 * tiles, unless the figure would pass a pixel budget; then they shrink and a note says so.
 */
import { diverging, gray } from '../core/image/colormap.js';
import type { FilterWeights } from '../core/methods/weights.js';
import { formatValue, rangeTicks, type Colorbar } from './colorbar.js';
import { MIN_TILE_PX, writeGridPng, type GridOptions, type GridTile } from './grid-png.js';

export interface WeightsFigureOptions {
  /** Nearest-neighbour upscale of each tile (default: tiles at least 64 px). */
  scale?: number;
  /** Tiles per row for rgb and mean tiles (default: about twice as wide as tall, up to 16). */
  columns?: number;
}

/** Largest figure drawn without shrinking tiles (a 512x512-filter layer would be ~1 gigapixel). */
export const WEIGHTS_PIXEL_BUDGET = 25e6;
const SLICE_GAP = 2;

/** The colour bar of a weights figure. */
function weightsColorbar(result: FilterWeights): Colorbar {
  const rgb = result.mode === 'rgb' && result.kernelShape[2] === 3;
  const colormap = result.display === 'signed' && !rgb ? diverging : gray;
  const channel = rgb ? ' (per color channel)' : '';
  if (result.display === 'minmax') {
    return {
      colormap,
      ticks: [
        { at: 0, label: 'min' },
        { at: 1, label: 'max' },
      ],
      caption: `weight${channel}: ${result.shared ? "the layer's" : "each filter's"} min to max`,
    };
  }
  if (result.shared) {
    const m = result.limits[0]?.limit ?? 0;
    return { colormap, ticks: rangeTicks(-m, m), caption: `weight${channel}, shared scale` };
  }
  return {
    colormap,
    ticks: [
      { at: 0, label: '-m' },
      { at: 0.5, label: '0' },
      { at: 1, label: '+m' },
    ],
    caption: `weight${channel}; m = the filter's largest |weight| (±m by each filter)`,
  };
}

/** The tiles and grid options of a weights figure (see `writeWeightsFigure`). */
export function weightsFigure(
  result: FilterWeights,
  options: WeightsFigureOptions = {},
): { tiles: GridTile[]; grid: GridOptions } {
  const [kh, kw, cin] = result.kernelShape;
  const filters = result.ranges.map((r) => r.filter);
  const perFilter = result.display === 'signed' && !result.shared;
  const limitOf = new Map(result.limits.map((l) => [l.filter, l.limit]));
  const name = (f: number) => (perFilter ? `${f} ±${formatValue(limitOf.get(f) ?? 0)}` : `${f}`);
  const notes: string[] = [];
  const title = `${result.layer}: ${kh}x${kw} kernels, ${filters.length} filters${result.mode === 'slices' ? `, ${cin} input channels per row` : ''}`;
  const colorbar = weightsColorbar(result);
  if (result.mode !== 'slices') {
    return {
      tiles: result.tiles.map((t) => ({ image: t.image, label: name(t.filter) })),
      grid: {
        columns: options.columns ?? Math.min(16, Math.ceil(Math.sqrt(filters.length * 2))),
        scale: options.scale,
        title,
        colorbar,
      },
    };
  }
  let scale = options.scale ?? Math.ceil(MIN_TILE_PX / Math.max(kh, kw));
  const pixels = (s: number) => cin * (kw * s + SLICE_GAP) * filters.length * (kh * s + SLICE_GAP);
  if (options.scale === undefined && pixels(scale) > WEIGHTS_PIXEL_BUDGET) {
    while (scale > 1 && pixels(scale) > WEIGHTS_PIXEL_BUDGET) scale--;
    notes.push(
      `${cin} x ${filters.length} slices: tiles shrunk to ${Math.max(kh, kw) * scale} px to keep the figure under ${WEIGHTS_PIXEL_BUDGET / 1e6} megapixels; fewer filters (--filters) give larger tiles`,
    );
  }
  return {
    tiles: result.tiles.map((t) => ({ image: t.image })),
    grid: {
      columns: cin,
      scale,
      gap: SLICE_GAP,
      title,
      rowLabels: filters.map(name),
      colorbar,
      notes,
    },
  };
}

/**
 * Writes the weights figure of `filterWeights`' result.
 *
 * @example await writeWeightsFigure('weights.png', await filterWeights(model, 'block1_conv1'));
 */
export async function writeWeightsFigure(
  file: string,
  result: FilterWeights,
  options: WeightsFigureOptions = {},
): Promise<void> {
  const { tiles, grid } = weightsFigure(result, options);
  await writeGridPng(file, tiles, grid);
}
