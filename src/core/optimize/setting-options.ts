/**
 * Every overridable setting of a preset, as data: name, kind, description, and where it lives
 * in `OptimizationSettings`. The CLI generates its flags from this list and the web form its
 * fields, so a new setting appears on every face at once and defaults never drift.
 */
import { ConvscopeError } from '../errors.js';
import {
  PARAMETERIZATION_CHOICES,
  PARAMETERIZATION_TITLES,
  choiceOf,
  specForChoice,
} from '../parameterizations/registry.js';
import { DIVERSITY_WEIGHT, type OptimizationSettings } from './settings.js';

export interface SettingOption {
  /** camelCase key (CLI flag: kebab-case of it). */
  key: string;
  description: string;
  /** Allowed values for a choice; numbers otherwise. */
  choices?: readonly string[];
  /** What each choice is (the workbench's tooltips). */
  choiceTitles?: Readonly<Record<string, string>>;
  /** Whole numbers only (counts: steps, pixels), at least `min` (default 0). */
  integer?: boolean;
  min?: number;
  get(settings: OptimizationSettings): number | string;
  set(settings: OptimizationSettings, value: number | string): void;
}

const numeric = (
  key: string,
  description: string,
  get: (s: OptimizationSettings) => number,
  set: (s: OptimizationSettings, v: number) => void,
  count?: { min: number },
): SettingOption => ({
  key,
  description,
  get,
  set: (s, v) => set(s, Number(v)),
  ...(count ? { integer: true, min: count.min } : {}),
});

export const SETTING_OPTIONS: readonly SettingOption[] = [
  numeric(
    'steps',
    'optimization steps',
    (s) => s.steps,
    (s, v) => (s.steps = v),
    { min: 1 },
  ),
  numeric(
    'size',
    'image size in px (models that take any size)',
    (s) => s.size,
    (s, v) => (s.size = v),
    { min: 0 }, // the smallest size depends on the layer: see input-size-bounds.ts
  ),
  numeric(
    'lr',
    'learning rate (maximum rate for the progress rule)',
    (s) => s.stepRule.lr,
    (s, v) => (s.stepRule.lr = v),
  ),
  {
    key: 'optimizer',
    description: 'step rule',
    choices: ['adam', 'nadam', 'sgd', 'progress', 'rms'],
    get: (s) => s.stepRule.kind,
    set: (s, v) => (s.stepRule.kind = v as OptimizationSettings['stepRule']['kind']),
  },
  {
    key: 'parameterization',
    description: 'image parameterization',
    choices: PARAMETERIZATION_CHOICES,
    choiceTitles: PARAMETERIZATION_TITLES,
    get: (s) => choiceOf(s.parameterization),
    set: (s, v) => (s.parameterization = specForChoice(String(v), s.parameterization)),
  },
  numeric(
    'initSd',
    'standard deviation of the initial noise',
    (s) => s.parameterization.sd,
    (s, v) => (s.parameterization.sd = v),
  ),
  {
    key: 'transforms',
    description:
      "random transforms: 'standard' (Lucid's; below 128 px shrinking over the run to amounts scaled to the size) or 'none'",
    choices: ['standard', 'none'],
    get: (s) =>
      s.transforms === 'standard' ? 'standard' : s.transforms.length === 0 ? 'none' : 'custom',
    set: (s, v) => (s.transforms = v === 'standard' ? 'standard' : []),
  },
  numeric(
    'redirectSteps',
    'first steps with redirected ReLU gradients',
    (s) => s.redirectSteps,
    (s, v) => (s.redirectSteps = v),
    { min: 0 },
  ),
  numeric(
    'decay',
    'L2 decay per step (Yosinski)',
    (s) => s.yosinski.decay,
    (s, v) => (s.yosinski.decay = v),
  ),
  numeric(
    'blurRadius',
    'Gaussian blur sigma in px (Yosinski)',
    (s) => s.yosinski.blurRadius,
    (s, v) => (s.yosinski.blurRadius = v),
  ),
  numeric(
    'blurEvery',
    'blur every N steps (Yosinski)',
    (s) => s.yosinski.blurEvery,
    (s, v) => (s.yosinski.blurEvery = v),
    { min: 0 },
  ),
  numeric(
    'normPct',
    'zero pixels below this norm percentile (Yosinski)',
    (s) => s.yosinski.normPct,
    (s, v) => (s.yosinski.normPct = v),
  ),
  numeric(
    'contribPct',
    'zero pixels below this contribution percentile (Yosinski)',
    (s) => s.yosinski.contribPct,
    (s, v) => (s.yosinski.contribPct = v),
  ),
  numeric(
    'tv',
    'total variation penalty weight',
    (s) => s.penalties.totalVariation,
    (s, v) => (s.penalties.totalVariation = v),
  ),
  numeric(
    'lp',
    'Lp norm penalty weight',
    (s) => s.penalties.lpNorm,
    (s, v) => (s.penalties.lpNorm = v),
  ),
  numeric(
    'p',
    'the p of the Lp penalty',
    (s) => s.penalties.p,
    (s, v) => (s.penalties.p = v),
  ),
  numeric(
    'diversity',
    "images per unit, pushed apart by Lucid's diversity term (1: none)",
    (s) => s.diversity?.images ?? 1,
    (s, v) => (s.diversity = { weight: s.diversity?.weight ?? DIVERSITY_WEIGHT, images: v }),
    { min: 1 },
  ),
  numeric(
    'diversityWeight',
    'weight of the diversity term (Lucid: 100); with --diversity 2 or more',
    (s) => s.diversity?.weight ?? DIVERSITY_WEIGHT,
    (s, v) => (s.diversity = { images: s.diversity?.images ?? 1, weight: v }),
  ),
  {
    key: 'display',
    description: "'raw' or 'standardize' (Chollet's deprocessing)",
    choices: ['raw', 'standardize'],
    get: (s) => s.display,
    set: (s, v) => (s.display = v as OptimizationSettings['display']),
  },
];

/**
 * Applies overrides (by key) to a copy of `settings`, validating values.
 * @example applyOverrides(getPreset('lucid').settings, { steps: 256, lr: 0.02 })
 */
export function applyOverrides(
  settings: OptimizationSettings,
  overrides: Record<string, number | string | undefined>,
): OptimizationSettings {
  const out = JSON.parse(JSON.stringify(settings)) as OptimizationSettings;
  for (const option of SETTING_OPTIONS) {
    const value = overrides[option.key];
    if (value === undefined) continue;
    if (option.choices) {
      if (!option.choices.includes(String(value))) {
        throw new ConvscopeError(
          `--${kebab(option.key)} must be one of ${option.choices.join(', ')}, got '${value}'`,
        );
      }
    } else if (option.integer) {
      const n = Number(value);
      const min = option.min ?? 0;
      if (String(value).trim() === '' || !Number.isInteger(n) || n < min) {
        throw new ConvscopeError(
          `--${kebab(option.key)} must be a whole number${min === 1 ? ' of at least 1' : ' (0 or more)'}, got '${value}'`,
        );
      }
    } else if (!Number.isFinite(Number(value)) || Number(value) < 0) {
      throw new ConvscopeError(
        `--${kebab(option.key)} must be a non-negative number, got '${value}'`,
      );
    }
    option.set(out, value);
  }
  return out;
}

/** camelCase to kebab-case. */
export const kebab = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/**
 * The settings that differ from `base` as the CLI's flags, e.g. `--lr 0.0125 --parameterization
 * laplacian-pyramid` (steps and size left out: titles show them on their own). Empty when the
 * run is the preset's.
 */
export function overrideFlags(base: OptimizationSettings, settings: OptimizationSettings): string {
  return SETTING_OPTIONS.filter((o) => o.key !== 'steps' && o.key !== 'size')
    .filter((o) => o.get(base) !== o.get(settings))
    .map((o) => `--${kebab(o.key)} ${o.get(settings)}`)
    .join(' ');
}
