/**
 * What `attribute`'s --layer, --filters, --class, --cam-layer, --position and the SmoothGrad
 * options mean together. A unit is `--layer L --filters SPEC` (every method explains it; the
 * old `--filter K` is an alias); otherwise the target is `--class SPEC` (or the predicted
 * class), and `--layer L` alone names the layer Grad-CAM explains at (the same as
 * `--cam-layer L`, its older name): every Grad-CAM tool takes the layer and the target as two
 * choices. An option that would be ignored is refused instead, with what to write: `--layer`
 * without `--filters` for the methods that have no such layer, `--position` with a class
 * target (a class has no activation map), `--cam-layer` without Grad-CAM, and `--samples`,
 * `--noise` or `--seed` without SmoothGrad (the only method that draws noise).
 */
import { ConvscopeError } from '../core/errors.js';

export interface AttributeFlags {
  layer?: string;
  filters?: string;
  class?: string;
  camLayer?: string;
  position?: string;
}

export interface AttributeChoice {
  /** The units to explain (`--layer --filters`, a SPEC), else undefined: classes are. */
  unit?: { layer: string; filters: string };
  /** Grad-CAM's layer (`--cam-layer`, or `--layer` without `--filters`). */
  camLayer?: string;
}

/** Options that only SmoothGrad reads. */
const SMOOTHGRAD_ONLY = ['samples', 'noise', 'seed'] as const;

/** Refuses options that the chosen methods would ignore (`given`: what the user typed). */
function checkMethodOptions(
  flags: AttributeFlags,
  methods: readonly string[],
  given: ReadonlySet<string>,
): void {
  if (flags.camLayer !== undefined && !methods.includes('gradcam')) {
    throw new ConvscopeError(
      `--cam-layer is Grad-CAM's layer; ${methods.join(', ')} ${methods.length === 1 ? 'has' : 'have'} none`,
      'add gradcam to --method, or leave --cam-layer out',
    );
  }
  const unused = SMOOTHGRAD_ONLY.filter((k) => given.has(k));
  if (unused.length > 0 && !methods.includes('smoothgrad')) {
    const names = unused.map((k) => `--${k}`).join(', ');
    throw new ConvscopeError(
      `${names} ${unused.length === 1 ? 'applies' : 'apply'} to smoothgrad only, and --method is ${methods.join(',')}`,
      `add smoothgrad to --method, or leave ${names} out`,
    );
  }
}

/**
 * @example attributeFlags({ layer: 'block3_conv2', class: '0' }, ['gradcam'])
 * // { camLayer: 'block3_conv2' }
 */
export function attributeFlags(
  flags: AttributeFlags,
  methods: readonly string[],
  given: ReadonlySet<string> = new Set(),
): AttributeChoice {
  checkMethodOptions(flags, methods, given);
  if (flags.filters !== undefined) {
    if (flags.layer === undefined) {
      throw new ConvscopeError('--filters needs --layer', 'e.g. --layer block2_conv1 --filters 5');
    }
    if (flags.class !== undefined) {
      throw new ConvscopeError(
        'give either --layer/--filters (units) or --class, not both',
        'Grad-CAM of a class at a layer: --method gradcam --layer L --class C',
      );
    }
    return { unit: { layer: flags.layer, filters: flags.filters }, camLayer: flags.camLayer };
  }
  if (flags.position !== undefined) {
    throw new ConvscopeError(
      `--position picks a place in a unit's activation map; a class target has none`,
      'explain a unit with --layer L --filters K --position ..., or leave --position out',
    );
  }
  if (flags.layer === undefined) return { camLayer: flags.camLayer };
  const others = methods.filter((m) => m !== 'gradcam');
  if (others.length > 0) {
    throw new ConvscopeError(
      `--layer without --filters is the layer Grad-CAM explains at; ${others.join(', ')} ${others.length === 1 ? 'has' : 'have'} no such layer`,
      `for a unit: --layer ${flags.layer} --filters K; for a class: --class C without --layer`,
    );
  }
  if (flags.camLayer !== undefined && flags.camLayer !== flags.layer) {
    throw new ConvscopeError(
      `--layer ${flags.layer} and --cam-layer ${flags.camLayer} both name Grad-CAM's layer`,
      'give one of them',
    );
  }
  return { camLayer: flags.layer };
}
