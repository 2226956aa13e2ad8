/**
 * The feature-map figure: the input image as the model saw it, with its name, beside a grid of
 * channel tiles (one row or more per layer; smaller maps upscaled to line up), and a colour bar
 * that says what the colors mean. Each tile has its own range under channel normalization (so
 * the range is written under the tile) and each layer one under layer normalization (beside
 * the row); with a single layer on one range the bar carries the numbers itself. A channel that
 * is constant for this image (a ReLU unit that never fires here) says "all 0" instead of
 * showing a blank tile with nothing said.
 */
import path from 'node:path';
import { gray, viridis } from '../core/image/colormap.js';
import { solidRgba, upscale, type RgbaImage } from '../core/image/rgba.js';
import type { ChannelMap, LayerMaps } from '../core/methods/feature-maps.js';
import { formatValue, rangeTicks, type Colorbar } from './colorbar.js';
import { MIN_TILE_PX, writeGridPng, type GridOptions, type GridTile } from './grid-png.js';

export interface MapsFigureInput {
  maps: LayerMaps[];
  /** The image as the model saw it, and the file it came from (its base name is shown). */
  input: { image: RgbaImage; file: string };
  normalize: 'channel' | 'layer';
  colormap: 'gray' | 'viridis';
  /** Tiles per row (default: up to 16). */
  columns?: number;
  /** Upscale of the largest maps (default: at least 64 px). */
  scale?: number;
}

const range = (min: number, max: number) => `${formatValue(min)} – ${formatValue(max)}`;

/** A layer's range over its shown channels (what layer normalization maps to the colormap). */
function layerRange(layer: LayerMaps): { min: number; max: number } {
  return {
    min: Math.min(...layer.channels.map((c) => c.min)),
    max: Math.max(...layer.channels.map((c) => c.max)),
  };
}

function caption(channel: ChannelMap, normalize: MapsFigureInput['normalize']): string {
  if (channel.max === channel.min) return `${channel.index}\nall ${formatValue(channel.min)}`;
  return normalize === 'channel'
    ? `${channel.index}\n${range(channel.min, channel.max)}`
    : `${channel.index}`;
}

function colorbarOf(input: MapsFigureInput): Colorbar {
  const colormap = input.colormap === 'viridis' ? viridis : gray;
  if (input.normalize === 'layer' && input.maps.length === 1) {
    const { min, max } = layerRange(input.maps[0]);
    return {
      colormap,
      ticks: rangeTicks(min, max),
      caption: `activation of ${input.maps[0].name}`,
    };
  }
  const where =
    input.normalize === 'channel' ? "each tile's range (under it)" : "each layer's range (left)";
  return {
    colormap,
    ticks: [
      { at: 0, label: 'min' },
      { at: 1, label: 'max' },
    ],
    caption: `activation, from min to max of ${where}`,
  };
}

/** The tiles and grid options of the figure (see `writeMapsFigure`). */
export function mapsFigure(input: MapsFigureInput): { tiles: GridTile[]; grid: GridOptions } {
  const { maps } = input;
  const largest = Math.max(...maps.map((m) => Math.max(m.height, m.width)));
  const most = Math.max(...maps.map((m) => m.channels.length));
  const columns = input.columns ?? Math.min(16, most);
  const tiles: GridTile[] = [];
  const rowLabels: string[] = [];
  for (const layer of maps) {
    const factor = Math.max(1, Math.floor(largest / Math.max(layer.height, layer.width)));
    const rows = Math.ceil(layer.channels.length / columns);
    for (let i = 0; i < rows * columns; i++) {
      const channel = layer.channels[i];
      tiles.push(
        channel
          ? { image: upscale(channel.image, factor), label: caption(channel, input.normalize) }
          : { image: solidRgba(1, 1, [0, 0, 0, 0]) },
      );
    }
    const { min, max } = layerRange(layer);
    const label = input.normalize === 'layer' ? `${layer.name}\n${range(min, max)}` : layer.name;
    rowLabels.push(label, ...Array<string>(rows - 1).fill(''));
  }
  // The input spans about two rows of tiles: large enough to compare with the maps.
  const scale = input.scale ?? Math.ceil(MIN_TILE_PX / largest);
  const rowHeight = largest * scale + 29 + 4;
  const span = Math.min(2, rowLabels.length) * rowHeight - 20;
  const inputSide = Math.max(input.input.image.height, input.input.image.width);
  return {
    tiles,
    grid: {
      columns,
      rowLabels,
      scale: input.scale,
      title: `feature maps (${input.normalize} normalization)`,
      aside: {
        image: input.input.image,
        label: path.basename(input.input.file),
        scale: Math.max(1, Math.floor(span / inputSide)),
      },
      colorbar: colorbarOf(input),
    },
  };
}

/**
 * Writes the feature-map figure.
 *
 * @example await writeMapsFigure('maps.png', { maps, input: { image, file }, normalize: 'channel', colormap: 'viridis' });
 */
export async function writeMapsFigure(file: string, input: MapsFigureInput): Promise<void> {
  const { tiles, grid } = mapsFigure(input);
  await writeGridPng(file, tiles, grid);
}
