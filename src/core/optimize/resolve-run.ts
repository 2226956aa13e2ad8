/**
 * From a preset name and overrides to what one activation-maximization run needs: the
 * settings and the model at the size it renders. Models that take any size (VGG16 without
 * its top) render at the preset's or the overridden size; fixed-size models at their own (an
 * explicit size that differs is an error that says why). The CLI and the web worker share it.
 */
import type { VisModel } from '../models/vis-model.js';
import { getPreset, type Preset } from './presets.js';
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

/**
 * @example const run = await resolveRun(model, 'lucid', { steps: 256 });
 */
export async function resolveRun(
  model: VisModel,
  presetName: string,
  overrides: Record<string, number | string | undefined>,
): Promise<ResolvedRun> {
  const preset = getPreset(presetName);
  const settings = applyOverrides(preset.settings, overrides);
  const wanted = settings.size;
  const fixed = model.input.height === wanted && model.input.width === wanted;
  if (!fixed && (model.acceptsAnySize || overrides.size !== undefined)) {
    return { preset, settings, model: await model.withInputSize(wanted, wanted), resized: true };
  }
  return { preset, settings, model, resized: false };
}
