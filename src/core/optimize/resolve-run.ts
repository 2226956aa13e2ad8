/**
 * From a preset name and overrides to what one activation-maximization run needs: the
 * settings and the model at the size it renders. Models that take any size (VGG16 without
 * its top) render at the preset's or the overridden size; fixed-size models at their own (an
 * explicit size that differs is an error that says why). The size is checked against the
 * objectives' layers and the batch first (input-size-bounds.ts): too small for a layer to have
 * a map, or too large for memory, is refused with the bound. The CLI and the web worker share it.
 */
import { checkInputSize } from '../models/input-size-bounds.js';
import type { VisModel } from '../models/vis-model.js';
import { LOGITS } from '../models/forward.js';
import { networkLayers, type ObjectiveSpec } from '../objectives/objective-spec.js';
import { getPreset, type Preset } from './presets.js';
import { checkSettings } from './parts.js';
import { applyOverrides } from './setting-options.js';
import type { OptimizationSettings } from './settings.js';

export interface ResolvedRun {
  preset: Preset;
  settings: OptimizationSettings;
  /** The model at the rendering size (`model` itself when no resize was needed). */
  model: VisModel;
  /** True when `model` is a resized copy the caller must dispose. */
  resized: boolean;
}

/** What a run will optimize, for checking its size: the objectives and images per batch. */
export interface RunLoad {
  /** The objectives (their layers bound the smallest size; class logits need the whole model). */
  objectives?: readonly ObjectiveSpec[];
  /** Images optimized together (default: all the objectives). */
  batch?: number;
}

/** The layers the objectives read (none: the whole model, e.g. for class logits). */
export function targetLayers(objectives: readonly ObjectiveSpec[]): string[] {
  const layers = new Set(objectives.flatMap(networkLayers));
  return layers.has(LOGITS) ? [] : [...layers];
}

/**
 * @example const run = await resolveRun(model, 'lucid', { steps: 256 }, { objectives });
 */
export async function resolveRun(
  model: VisModel,
  presetName: string,
  overrides: Record<string, number | string | undefined>,
  load: RunLoad = {},
): Promise<ResolvedRun> {
  const preset = getPreset(presetName);
  const settings = applyOverrides(preset.settings, overrides);
  checkSettings(settings, model.input.channels);
  const wanted = settings.size;
  const fixed = model.input.height === wanted && model.input.width === wanted;
  const resize = !fixed && (model.acceptsAnySize || overrides.size !== undefined);
  const objectives = load.objectives ?? [];
  // Fixed-size models keep their size (withInputSize says why a different one is refused).
  if (!resize || model.acceptsAnySize) {
    for (const layer of objectives.flatMap(networkLayers)) if (layer !== LOGITS) model.layer(layer);
    checkInputSize(model, resize ? wanted : model.input.height, {
      targets: targetLayers(objectives),
      batch: load.batch ?? Math.max(1, objectives.length),
      fixedSize: !resize && !model.acceptsAnySize,
    });
  }
  if (resize) {
    return { preset, settings, model: await model.withInputSize(wanted, wanted), resized: true };
  }
  return { preset, settings, model, resized: false };
}
