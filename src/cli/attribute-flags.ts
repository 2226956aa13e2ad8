/**
 * What `attribute`'s --layer, --filter, --class and --cam-layer mean together. A unit is
 * `--layer L --filter K` (every method explains it); otherwise the target is `--class C` (or
 * the predicted class), and `--layer L` alone names the layer Grad-CAM explains at (the same
 * as `--cam-layer L`, its older name): every Grad-CAM tool takes the layer and the target as
 * two choices. The other methods project to the pixels and have no such layer, so `--layer`
 * without `--filter` is refused for them with what to write instead.
 */
import { ConvscopeError } from '../core/errors.js';

export interface AttributeFlags {
  layer?: string;
  filter?: string;
  class?: string;
  camLayer?: string;
}

export interface AttributeChoice {
  /** The unit to explain (`--layer --filter`), else undefined: a class is explained. */
  unit?: { layer: string; filter: number };
  /** Grad-CAM's layer (`--cam-layer`, or `--layer` without `--filter`). */
  camLayer?: string;
}

/**
 * @example attributeFlags({ layer: 'block3_conv2', class: '0' }, ['gradcam'])
 * // { camLayer: 'block3_conv2' }
 */
export function attributeFlags(flags: AttributeFlags, methods: readonly string[]): AttributeChoice {
  if (flags.filter !== undefined) {
    if (flags.layer === undefined) {
      throw new ConvscopeError('--filter needs --layer', 'e.g. --layer block2_conv1 --filter 5');
    }
    if (flags.class !== undefined) {
      throw new ConvscopeError(
        'give either --layer/--filter (a unit) or --class, not both',
        'Grad-CAM of a class at a layer: --method gradcam --layer L --class C',
      );
    }
    const filter = Number(flags.filter);
    if (flags.filter.trim() === '' || !Number.isInteger(filter)) {
      throw new ConvscopeError(`--filter must be an integer, got '${flags.filter}'`);
    }
    return { unit: { layer: flags.layer, filter }, camLayer: flags.camLayer };
  }
  if (flags.layer === undefined) return { camLayer: flags.camLayer };
  const others = methods.filter((m) => m !== 'gradcam');
  if (others.length > 0) {
    throw new ConvscopeError(
      `--layer without --filter is the layer Grad-CAM explains at; ${others.join(', ')} ${others.length === 1 ? 'has' : 'have'} no such layer`,
      `for a unit: --layer ${flags.layer} --filter K; for a class: --class C without --layer`,
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
