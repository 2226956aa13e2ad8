/**
 * Presets as data: named, serializable records of every setting of an activation-maximization
 * run, from the papers and tools people compare against. `lucid` (the default) follows Olah et
 * al. 2017 and `lucid-exact` is Lucid's code with all its defaults; `keras` follows Chollet's
 * tutorial; `yosinski-1..4` are Table 1 of Yosinski et al. 2015; `mean-prior` is ours (below).
 *
 * Mapping Yosinski's learning rates: they optimize a mean-subtracted image in 0..255, we a
 * centred image in [0, 1]. With x01 = x255 / 255 the gradient scales as g01 = 255 g255, so
 * the same step in pixels needs lr01 = lr255 / 255^2 (100 -> 0.00154). Their "progress" rule
 * (a step that raises the objective by a fixed amount) is scale-free and keeps its target;
 * only its maximum rate is mapped. Decay, blur sigma (pixels) and percentiles carry over.
 */
import { ConvscopeError, listForMessage } from '../errors.js';
import type { PenaltySettings } from '../regularizers/penalties.js';
import type { YosinskiSettings } from '../regularizers/yosinski.js';
import type { OptimizationSettings } from './settings.js';

// Regularizers off. Defined here, not beside their ops, so the page's form code that reads
// presets does not pull TF.js into the page bundle.
const NO_YOSINSKI: YosinskiSettings = {
  decay: 0,
  blurRadius: 0,
  blurEvery: 0,
  normPct: 0,
  contribPct: 0,
};
const NO_PENALTIES: PenaltySettings = { totalVariation: 0, lpNorm: 0, p: 2 };

export interface Preset {
  name: string;
  description: string;
  settings: OptimizationSettings;
}

/** Yosinski's 0..255 learning rate in our [0, 1] image space. */
export const fromYosinskiRate = (lr255: number): number => lr255 / (255 * 255);

const yosinski = (
  name: string,
  description: string,
  regularizers: Partial<OptimizationSettings['yosinski']>,
  steps: number,
  stepRule: OptimizationSettings['stepRule'],
): Preset => ({
  name,
  description,
  settings: {
    // Simonyan et al. and Yosinski et al. start from the mean image (zero in their space).
    parameterization: { kind: 'pixel', mode: 'linear', sd: 0, center: 'mean' },
    transforms: [],
    yosinski: { ...NO_YOSINSKI, ...regularizers },
    penalties: NO_PENALTIES,
    stepRule,
    steps,
    redirectSteps: 0,
    size: 224,
    display: 'raw',
  },
});

export const PRESETS: readonly Preset[] = [
  {
    // Lucid's defaults (`lucid-exact`) but for one change: below 128 px the standard
    // transforms shrink over the run, from Lucid's pixel amounts (at most 3x the end's) to
    // amounts scaled to the size (a 12 px pad swamps a 28 px image; standardTransformsAt).
    // Adam's rate is Lucid's 0.05 at every size (issue 16: scaling it up saturated images).
    name: 'lucid',
    description:
      'Olah et al. 2017: Fourier basis with decorrelated colour, standard transforms (shrinking over the run below 128 px), Adam 0.05, 512 steps',
    settings: {
      parameterization: { kind: 'fourier', sd: 0.01, decorrelate: true },
      transforms: 'standard',
      yosinski: NO_YOSINSKI,
      penalties: NO_PENALTIES,
      stepRule: { kind: 'adam', lr: 0.05 },
      steps: 512,
      redirectSteps: 16,
      size: 128,
      display: 'raw',
    },
  },
  {
    name: 'keras',
    description:
      "Chollet's Keras tutorial: grey + noise, RMS-normalized gradient ascent, 80 steps, standardized for display",
    settings: {
      parameterization: { kind: 'pixel', mode: 'linear', sd: 0.02, center: 0.5 },
      transforms: [],
      yosinski: NO_YOSINSKI,
      penalties: NO_PENALTIES,
      stepRule: { kind: 'rms', lr: 0.01 },
      steps: 80,
      redirectSteps: 0,
      size: 128,
      display: 'standardize',
    },
  },
  {
    name: 'mean-prior',
    description:
      "pixels centred on the data set's mean image (Yosinski et al.'s space), Adam 0.03, decay 0.01, blur 1 px every 4, norm clip 20th pct, 256 steps: class images of small gray models",
    settings: {
      parameterization: { kind: 'pixel', mode: 'linear', sd: 0.01, center: 'mean' },
      transforms: [],
      yosinski: { decay: 0.01, blurRadius: 1, blurEvery: 4, normPct: 20, contribPct: 0 },
      penalties: NO_PENALTIES,
      stepRule: { kind: 'adam', lr: 0.03 },
      steps: 256,
      redirectSteps: 0,
      size: 128,
      display: 'raw',
    },
  },
  {
    // Xplique's `maco` defaults (Fel et al. 2023): Nadam lr 1.0, 256 steps, phase ~ N(0, 1),
    // noise 0.08 on a (-1, 1) range (0.04 on our [0, 1] images), crops of 50% -> 5% of a
    // 512 px buffer seen at 224 px (1.1x -> 0.1x the input side; here the image is the input,
    // so a fixed N(0.65, 0.1) clipped to [0.3, 1]); no redirected ReLU. The magnitude: the
    // CLI's --spectrum-images, the model's samples, else 1/f.
    name: 'maco',
    description:
      'Fel et al. 2023 (MACO): only the Fourier phase is optimized under a fixed natural-image magnitude, random crops + noise, Nadam 1.0, 256 steps',
    settings: {
      parameterization: { kind: 'maco', sd: 1 },
      transforms: [
        { kind: 'crop', mean: 0.65, sd: 0.1, min: 0.3 },
        { kind: 'noise', sd: 0.04 },
      ],
      yosinski: NO_YOSINSKI,
      penalties: NO_PENALTIES,
      stepRule: { kind: 'nadam', lr: 1 },
      steps: 256,
      redirectSteps: 0,
      size: 128,
      display: 'raw',
    },
  },
  yosinski(
    'yosinski-1',
    'Yosinski et al. 2015 row 1: blur 0.5 every 4, clip norm below 50th pct, progress rule, 500 steps',
    { blurRadius: 0.5, blurEvery: 4, normPct: 50 },
    500,
    { kind: 'progress', lr: fromYosinskiRate(100), progress: 2 },
  ),
  yosinski(
    'yosinski-2',
    'Yosinski et al. 2015 row 2: L2 decay 0.3, clip norm below 20th pct, lr 100, 750 steps',
    { decay: 0.3, normPct: 20 },
    750,
    { kind: 'sgd', lr: fromYosinskiRate(100) },
  ),
  yosinski(
    'yosinski-3',
    'Yosinski et al. 2015 row 3 (most paper images): decay 1e-4, blur 1.0 every 4, lr 100, 1000 steps',
    { decay: 0.0001, blurRadius: 1, blurEvery: 4 },
    1000,
    { kind: 'sgd', lr: fromYosinskiRate(100) },
  ),
  yosinski(
    'yosinski-4',
    'Yosinski et al. 2015 row 4: blur 0.5 every 4, clip contribution below 90th pct, progress rule, 1000 steps',
    { blurRadius: 0.5, blurEvery: 4, contribPct: 90 },
    1000,
    { kind: 'progress', lr: fromYosinskiRate(1e8), progress: 2 },
  ),
  {
    // Lucid's render_vis with every argument at its default, as published (lucid 0.3.x,
    // optvis/render.py and transform.py): param.image(128) = fft_image(sd=0.01) /4, decorrelate
    // =True, sigmoid=True; tf.train.AdamOptimizer(0.05); thresholds=(512,); transforms
    // =transform.standard_transforms = pad(12, constant 0.5), jitter(8), random_scale(1 +
    // (i - 5) / 50, i < 11), random_rotate(range(-10, 11) + 5 * [0]) (0 degrees six times as
    // likely), jitter(4), in pixels at every size; relu_gradient_override=True (redirected ReLU
    // while global_step < 16; here, as in every preset with redirectSteps > 0, images whose
    // unit is still dead stay redirected after that, see maximize.ts). The reference `lucid`
    // is measured against (scripts/compare-presets.ts, BENCHMARKS.md).
    name: 'lucid-exact',
    description:
      "Lucid's render_vis defaults as published: Fourier + decorrelated colour + sigmoid, standard transforms in pixels at any size, Adam 0.05 at any size, 512 steps",
    settings: {
      parameterization: { kind: 'fourier', sd: 0.01, decorrelate: true },
      transforms: [
        { kind: 'pad', pixels: 12, value: 0.5 },
        { kind: 'jitter', pixels: 8 },
        { kind: 'scale', factors: Array.from({ length: 11 }, (_, i) => 1 + (i - 5) / 50) },
        {
          kind: 'rotate',
          degrees: [...Array.from({ length: 21 }, (_, i) => i - 10), 0, 0, 0, 0, 0],
        },
        { kind: 'jitter', pixels: 4 },
      ],
      yosinski: NO_YOSINSKI,
      penalties: NO_PENALTIES,
      stepRule: { kind: 'adam', lr: 0.05 },
      steps: 512,
      redirectSteps: 16,
      size: 128,
      display: 'raw',
    },
  },
];

export const DEFAULT_PRESET = 'lucid';

/**
 * The preset a task starts with: class images of gray models use `mean-prior` (Lucid's
 * settings give adversarial texture there, see the README), everything else Lucid's.
 */
export function defaultPresetFor(task: 'filters' | 'classes', channels: number): string {
  return task === 'classes' && channels === 1 ? 'mean-prior' : DEFAULT_PRESET;
}

/** The preset called `name` (a deep copy, safe to modify); the error lists the presets. */
export function getPreset(name: string): Preset {
  const preset = PRESETS.find((p) => p.name === name);
  if (!preset) {
    throw new ConvscopeError(
      `unknown preset '${name}'; presets are: ${listForMessage(PRESETS.map((p) => p.name))}`,
    );
  }
  return JSON.parse(JSON.stringify(preset)) as Preset;
}
