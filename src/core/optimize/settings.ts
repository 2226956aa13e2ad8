/**
 * The data that fully describes one activation-maximization run apart from its objectives:
 * parameterization, transforms, regularizers, step rule, steps. Plain JSON (presets are
 * records of this type; manifests store it), so the CLI flags, the web form and the
 * manifest are generated from one definition.
 */
import type { ParameterizationSpec } from '../parameterizations/registry.js';
import type { PenaltySettings } from '../regularizers/penalties.js';
import type { YosinskiSettings } from '../regularizers/yosinski.js';
import type { TransformSpec } from '../transforms/transforms.js';
import type { StepRuleSpec } from './step-rules.js';

export type { ParameterizationSpec };

/** Lucid's weight of the diversity term (`- 1e2 * objectives.diversity(layer)`). */
export const DIVERSITY_WEIGHT = 100;

export interface DiversitySettings {
  /** Images per unit (1: no diversity term). */
  images: number;
  /** Weight of the similarity penalty (Lucid: 100). */
  weight: number;
}

/** How the optimized image is shown: as is, or standardized (Chollet's deprocessing). */
export type DisplayMode = 'raw' | 'standardize';

export interface OptimizationSettings {
  parameterization: ParameterizationSpec;
  /**
   * 'standard' = Lucid's standard set; below 128 px its pixel amounts shrink over the run to
   * amounts scaled to the image size (`standardTransformsAt`).
   */
  transforms: TransformSpec[] | 'standard';
  yosinski: YosinskiSettings;
  penalties: PenaltySettings;
  stepRule: StepRuleSpec;
  steps: number;
  /** Let gradients through dead ReLUs for this many first steps (Lucid: 16). */
  redirectSteps: number;
  /** Image size for models that take any size (fixed-size models use theirs). */
  size: number;
  display: DisplayMode;
  /** Images per unit and the weight of Lucid's diversity term (absent: one image, none). */
  diversity?: DiversitySettings;
}
