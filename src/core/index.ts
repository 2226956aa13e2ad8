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
export { tensorToRgba, rgbaFromFloats, cropRgba, type RgbaImage } from './image/rgba.js';
export { normalizeMinMax, normalizeSigned, minMax } from './image/normalize.js';
export { viridis, applyColormap, heatOverlay, type Colormap } from './image/colormap.js';
export { filterWeights, type FilterWeights, type FilterWeightsOptions } from './methods/weights.js';
export { featureMaps, firstConvOfEachBlock, type LayerMaps } from './methods/feature-maps.js';
export {
  attribute,
  ATTRIBUTION_METHODS,
  type Attribution,
  type AttributionMethod,
  type AttributionOptions,
} from './methods/attribution.js';
export type { AttributionTarget } from './methods/attribution-target.js';
export { attributionImage } from './methods/attribution-image.js';
export { reluFor, type BackwardRule } from './methods/relu-rules.js';
export { TopKTracker, type TopEntry } from './methods/top-k.js';
export { parseIndexSpec } from './methods/index-spec.js';
