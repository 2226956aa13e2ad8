/** One image a `visualize` run makes (its own module, so the run's helpers can name it). */
import type { ObjectiveSpec } from '../core/objectives/objective-spec.js';

export interface VisualizeItem {
  /** The objective as data (rebuilt in worker threads when the run uses them). */
  spec: ObjectiveSpec;
  /** Filter or class index. */
  index: number;
  /** Layer name, or undefined for classes. */
  layer?: string;
  /** Class name. */
  label?: string;
  /** File name stem, e.g. `block3_conv1_5` or `class_3`. */
  stem: string;
}
