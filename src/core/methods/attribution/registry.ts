/**
 * Every attribution method, as records (method-record.ts), in the order the CLI's `all`, the
 * figure and the workbench show them. To add a method: write one file that exports its record,
 * with its test, and list it here; dispatch, the `--method` list and its flags, the captions
 * and the workbench follow.
 */
import { ConvscopeError } from '../../errors.js';
import { deconvnet, guided, saliency } from './backprop.js';
import { gradCam } from './grad-cam.js';
import { gradCamPlusPlus } from './grad-cam-plus-plus.js';
import { guidedGradCam } from './guided-grad-cam.js';
import { inputXGradient } from './input-x-gradient.js';
import { integratedGradients } from './integrated-gradients.js';
import type { AttributionRecord } from './method-record.js';
import { smoothGradRecord } from './noise-tunnel.js';
import { scoreCam } from './score-cam.js';

/** Every method but the noise tunnel, which wraps any of them. */
const METHODS: readonly AttributionRecord[] = [
  deconvnet,
  guided,
  saliency,
  gradCam,
  integratedGradients,
  gradCamPlusPlus,
  scoreCam,
  guidedGradCam,
  inputXGradient,
];

/** The methods in the order of `--method all`: SmoothGrad (of saliency, by default) after saliency. */
export const ATTRIBUTION_RECORDS: readonly AttributionRecord[] = [
  ...METHODS.slice(0, 3),
  smoothGradRecord(METHODS),
  ...METHODS.slice(3),
];

/** The `--method` names. */
export const ATTRIBUTION_METHODS: readonly string[] = ATTRIBUTION_RECORDS.map((r) => r.name);

/**
 * The record of a method, or an error that lists them.
 *
 * @example attributionRecord('gradcam').paper // 'Selvaraju et al. 2017, ...'
 */
export function attributionRecord(name: string): AttributionRecord {
  const record = ATTRIBUTION_RECORDS.find((r) => r.name === name);
  if (!record) {
    throw new ConvscopeError(
      `unknown attribution method '${name}'`,
      `use one of: ${ATTRIBUTION_METHODS.join(', ')}`,
    );
  }
  return record;
}
