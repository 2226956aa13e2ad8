/**
 * The atlas as a set of per-unit jobs: the site's manifest (`atlas.json`) lists every unit of
 * the chosen layers with the state of its three parts (optimized image, kernel, top-k patches),
 * its statistics and how many times its optimization was started. The manifest is rewritten
 * atomically after every finished piece of work (and mirrored as `atlas-data.js`, the script
 * the static page reads, since `fetch()` of local JSON fails on file://), so a run killed with
 * SIGKILL loses only the work in flight and a rerun skips every unit that is done. A rerun
 * with other settings (preset, steps, seed, images...) would mix two atlases in one site: it
 * is refused, naming the settings that differ.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConvscopeError } from '../../core/errors.js';
import type { VisModel } from '../../core/models/vis-model.js';
import { writeBytesAtomic } from '../atomic-write.js';

export const MANIFEST_FILE = 'atlas.json';
export const DATA_FILE = 'atlas-data.js';

/** What decides the pictures: a site only ever holds one set of these. */
export interface AtlasSettings {
  model: string;
  engine: string;
  preset: string;
  steps: number;
  seed: number;
  /** Facets per unit (`--diversity N`; 1: one image). */
  diversity: number;
  /** The dataset folder of the patches (absent: no patches). */
  images?: string;
  /** Patches per unit. */
  top: number;
  /** The other setting overrides given (`--learning-rate` ...), by key. */
  overrides: Record<string, string>;
}

export interface AtlasPatch {
  file: string;
  deconv?: string;
  /** The source image's file name (in the settings' images folder). */
  image: string;
  /** The unit's map cell in that image. */
  y: number;
  x: number;
  activation: number;
  box: [number, number, number, number];
}

export interface AtlasUnit {
  layer: string;
  index: number;
  /** Times the optimization of this unit was started (a rerun after a kill adds one). */
  attempts: number;
  /** The optimized image (site-relative), and its facets under --diversity. */
  image?: string;
  facets?: string[];
  kernel?: string;
  patches?: AtlasPatch[];
  /** Measured: optimized activation, best natural activation (top patch), dead or alive. */
  stats?: {
    optimized: number;
    natural?: number;
    dead: boolean;
    reason?: string;
    saturated: number;
    highFrequency: number;
  };
  /** Seconds of the optimization batch this unit was in, divided by its units. */
  seconds?: number;
}

export interface AtlasLayer {
  name: string;
  kind: string;
  channels: number;
  outputShape: (number | null)[];
  receptiveField: { size: number; jump: number; start: number } | null;
  kernelShape?: number[];
  /** The layer's patch grid (site-relative), when patches were made. */
  patchGrid?: string;
}

export interface AtlasManifest {
  tool: string;
  created: string;
  updated: string;
  settings: AtlasSettings;
  input: { height: number; width: number; channels: number };
  /** Size of the optimized images (the model's input, or the preset's size for resizable models). */
  imageSize?: number;
  layers: AtlasLayer[];
  units: AtlasUnit[];
  /** Seconds spent building, summed over runs. */
  seconds: number;
}

export const unitKey = (layer: string, index: number) => `${layer}/${index}`;

/** A unit is done when each part the settings ask for is there. */
export function unitDone(unit: AtlasUnit, settings: AtlasSettings): boolean {
  return (
    unit.image !== undefined &&
    unit.kernel !== undefined &&
    (settings.images === undefined || unit.patches !== undefined)
  );
}

/** The layers of the model the atlas can show every unit of: its conv layers. */
export function convLayers(model: VisModel): string[] {
  return model.layers.filter((l) => l.kind === 'Conv2D').map((l) => l.name);
}

/** `--layers`: comma-separated names, or `all-conv` (the default). */
export function chooseLayers(model: VisModel, spec: string | undefined): string[] {
  const convs = convLayers(model);
  if (spec === undefined || spec.trim() === 'all-conv') return convs;
  return spec.split(',').map((name) => {
    const node = model.layer(name.trim());
    if (node.kind !== 'Conv2D') {
      throw new ConvscopeError(
        `layer '${node.name}' (${node.kind}) is not a conv layer; the atlas shows conv units`,
        `choose from: ${convs.join(', ')} (or --layers all-conv)`,
      );
    }
    return node.name;
  });
}

/** The layers' records (shape, receptive field) and a pending job per unit. */
export function planAtlas(
  model: VisModel,
  layers: string[],
  settings: AtlasSettings,
  tool: string,
): AtlasManifest {
  const now = new Date().toISOString();
  const records = layers.map((name): AtlasLayer => {
    const node = model.layer(name);
    const field = node.receptiveField?.vertical;
    return {
      name,
      kind: node.kind,
      channels: node.channels ?? 0,
      outputShape: [...node.outputShape],
      receptiveField: field ? { size: field.size, jump: field.jump, start: field.start } : null,
    };
  });
  return {
    tool,
    created: now,
    updated: now,
    settings,
    input: { ...model.input },
    layers: records,
    units: records.flatMap((l) =>
      Array.from({ length: l.channels }, (_, index) => ({ layer: l.name, index, attempts: 0 })),
    ),
    seconds: 0,
  };
}

/** The settings that differ between a site and this run, as `name: site vs now`. */
function differences(site: AtlasSettings, now: AtlasSettings): string[] {
  const keys = new Set([...Object.keys(site), ...Object.keys(now)]) as Set<keyof AtlasSettings>;
  return [...keys]
    .filter((k) => JSON.stringify(site[k]) !== JSON.stringify(now[k]))
    .map((k) => `${k}: ${JSON.stringify(site[k])} there, ${JSON.stringify(now[k])} now`);
}

/** The site's manifest, or undefined when the folder has none (a new site). */
export async function readManifest(dir: string): Promise<AtlasManifest | undefined> {
  const file = path.join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const value = JSON.parse(text) as AtlasManifest;
    const shaped =
      typeof value.settings === 'object' &&
      Array.isArray(value.layers) &&
      Array.isArray(value.units) &&
      value.units.every((u) => typeof u.layer === 'string' && Number.isInteger(u.index));
    if (!shaped) throw new Error('not an atlas manifest');
    return value;
  } catch {
    throw new ConvscopeError(
      `${file} is damaged (not an atlas manifest); the site cannot be resumed`,
      'delete the folder (or give another --out) and build the atlas again',
    );
  }
}

/**
 * Continues the site's manifest when there is one (its units of these layers keep what they
 * have; units of newly chosen layers are added), or the fresh plan.
 */
export function mergePlan(
  site: AtlasManifest | undefined,
  plan: AtlasManifest,
  dir: string,
): AtlasManifest {
  if (!site) return plan;
  const differ = differences(site.settings, plan.settings);
  if (differ.length > 0) {
    throw new ConvscopeError(
      `${dir} holds an atlas built with other settings (${differ.join('; ')})`,
      'rerun with the settings it was built with, or give another --out',
    );
  }
  const old = new Map(site.units.map((u) => [unitKey(u.layer, u.index), u]));
  const oldLayers = new Map(site.layers.map((l) => [l.name, l]));
  const layerNames = new Set(plan.layers.map((l) => l.name));
  return {
    ...plan,
    created: site.created,
    seconds: site.seconds,
    // Layers built before and not chosen now stay in the site.
    layers: [
      ...site.layers.filter((l) => !layerNames.has(l.name)),
      ...plan.layers.map((l) => ({ ...oldLayers.get(l.name), ...l })),
    ],
    units: [
      ...site.units.filter((u) => !layerNames.has(u.layer)),
      ...plan.units.map((u) => old.get(unitKey(u.layer, u.index)) ?? u),
    ],
  };
}

/** Writes `atlas.json` and `atlas-data.js` (each atomically; the JSON last, it is the record). */
export async function saveManifest(dir: string, manifest: AtlasManifest): Promise<void> {
  manifest.updated = new Date().toISOString();
  const json = JSON.stringify(manifest);
  await writeBytesAtomic(path.join(dir, DATA_FILE), `window.CONVSCOPE_ATLAS = ${json};\n`);
  await writeBytesAtomic(path.join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 1)}\n`);
}

/** A layer's folder name in the site (ONNX names may hold characters a path should not). */
export const layerFolder = (layer: string) => layer.replace(/[^A-Za-z0-9._-]/g, '_');
