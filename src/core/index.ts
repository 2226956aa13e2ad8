/** convscope's platform-free core (browser, worker or Node): models, gradients, methods. */
export { ConvscopeError } from './errors.js';
export { useFastGradients, useStockGradients, clearGradientCache } from './gradients/register.js';
export { VisModel, type VisModelOptions } from './models/vis-model.js';
export { LOGITS, type ForwardOptions, type ReluRule } from './models/forward.js';
export { buildLayerGraph, type LayerNode } from './models/layer-graph.js';
export { receptiveBox, type ReceptiveField, type AxisField } from './models/receptive-field.js';
export {
  PREPROCESS_MODES,
  toModelInput,
  parseInputRange,
  type InputSpec,
  type PreprocessMode,
} from './models/input-spec.js';
export { buildVgg, VGG_BLOCKS, type VggOptions } from './models/architectures/vgg.js';
