/**
 * Output folders of `convscope patches` offered to the workbench (`serve --patches DIR...`):
 * `GET /api/patches` lists one entry per folder and layer (`id` is the folder's position on the
 * command line; a run over several layers wrote an array manifest, and each layer's entry points
 * at `manifest.json?layer=NAME`, which answers that layer's object alone) and `/patches/<id>/`
 * serves each folder's manifest.json and PNGs (nothing else: the scan index holds the scanned
 * images' paths). The manifest records file paths as the patches run saw them
 * (relative to its working directory, or absolute); served, its `grid`, `file` and `deconvFile`
 * fields are rewritten relative to the folder, so `new URL(file, manifestUrl)` finds them.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConvscopeError } from '../core/errors.js';
import type { StaticRoot } from './static-roots.js';
import type { PatchesEntry } from '../core/server-api.js';

export type { PatchesEntry };

export interface PatchSource {
  /** One per layer of the run. */
  entries: PatchesEntry[];
  root: StaticRoot;
  /**
   * The manifest with its file paths made relative to the folder; with `layer`, only that
   * layer's object (undefined when the run has no such layer).
   */
  manifest(layer?: string): Promise<unknown>;
}

interface ManifestItem {
  file?: unknown;
  deconvFile?: unknown;
}

interface LayerManifest {
  layer?: unknown;
  model?: unknown;
  grid?: unknown;
  filters?: { top?: ManifestItem[] }[];
}

function layersOf(manifest: unknown): LayerManifest[] {
  const list = Array.isArray(manifest) ? manifest : [manifest];
  return list.filter((m): m is LayerManifest => typeof m === 'object' && m !== null);
}

/**
 * `file` relative to the run's output folder. The grid is `<out>/<layer>.png`, which gives
 * `<out>` as the run wrote it; any path under it becomes relative (`/`-separated).
 */
function relativeTo(out: string | undefined, file: unknown): unknown {
  if (typeof file !== 'string' || out === undefined) return file;
  const relative = path.relative(out, file);
  if (relative.startsWith('..') || path.isAbsolute(relative)) return file;
  return relative.split(path.sep).join('/');
}

function rewrite(manifest: unknown): unknown {
  for (const layer of layersOf(manifest)) {
    const grid = typeof layer.grid === 'string' ? layer.grid : undefined;
    const suffix = typeof layer.layer === 'string' ? `${layer.layer}.png` : undefined;
    const out = grid && suffix && path.basename(grid) === suffix ? path.dirname(grid) : undefined;
    layer.grid = relativeTo(out, layer.grid);
    for (const filter of layer.filters ?? []) {
      for (const item of filter.top ?? []) {
        item.file = relativeTo(out, item.file);
        if (item.deconvFile !== undefined) item.deconvFile = relativeTo(out, item.deconvFile);
      }
    }
  }
  return manifest;
}

async function readManifest(dir: string): Promise<unknown> {
  const file = path.join(dir, 'manifest.json');
  return JSON.parse(await readFile(file, 'utf8')) as unknown;
}

/**
 * Checks each folder (it must hold a readable manifest.json) and returns the sources.
 *
 * @example const sources = await loadPatchSources(['out/patches-block1']);
 */
export async function loadPatchSources(dirs: readonly string[]): Promise<PatchSource[]> {
  const sources: PatchSource[] = [];
  for (const [id, given] of dirs.entries()) {
    const dir = path.resolve(given);
    let manifest: unknown;
    try {
      manifest = await readManifest(dir);
    } catch (error) {
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
      throw new ConvscopeError(
        missing
          ? `${given} has no manifest.json`
          : `cannot read ${path.join(given, 'manifest.json')}: ${(error as Error).message}`,
        'pass the --out folder of a finished `convscope patches` run',
      );
    }
    const layers = layersOf(manifest).filter((m) => typeof m.layer === 'string');
    const several = Array.isArray(manifest);
    const entries = layers.map((m) => ({
      id,
      layer: m.layer as string,
      ...(typeof m.model === 'string' ? { model: m.model } : {}),
      manifestUrl: several
        ? `/patches/${id}/manifest.json?layer=${encodeURIComponent(m.layer as string)}`
        : `/patches/${id}/manifest.json`,
    }));
    sources.push({
      entries,
      root: { dir, allow: (relative) => /\.png$/i.test(relative) },
      manifest: async (layer) => {
        const rewritten = rewrite(await readManifest(dir));
        if (layer === undefined) return rewritten;
        return layersOf(rewritten).find((m) => m.layer === layer);
      },
    });
  }
  return sources;
}
