/** convscope's platform-free core (browser, worker or Node): models, gradients, methods. */
export { ConvscopeError } from './errors.js';
export {
  useFastGradients,
  useStockGradients,
  clearGradientCache,
} from './kernel-patches/register.js';
export { VisModel, type VisModelOptions } from './models/vis-model.js';
export { onnxVisModel, type OnnxModelOptions } from './models/onnx/onnx-model.js';
export {
  importOnnx,
  type ImportedOnnx,
  type OnnxImportOptions,
} from './models/onnx/onnx-to-layers.js';
export type {
  NetworkEngine,
  ArrayBatch,
  EngineRule,
  VjpRequest,
  VjpResult,
} from './engines/network-engine.js';
export { TfjsEngine } from './engines/tfjs-engine.js';
export { describeLayer, type LayerOp } from './models/layer-ops.js';
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
export { viridis, diverging, jet, applyColormap, type Colormap } from './image/colormap.js';
export { heatOverlay, grayCopy } from './image/heat-overlay.js';
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
export { ATTRIBUTION_RECORDS, attributionRecord } from './methods/attribution/registry.js';
export {
  runMethod,
  type AttributionRecord,
  type MethodOption,
} from './methods/attribution/method-record.js';
export { noiseTunnel } from './methods/attribution/noise-tunnel.js';
export { attributionImage } from './methods/attribution-image.js';
export { reluFor, type BackwardRule } from './methods/relu-rules.js';
export { TopKTracker, type TopEntry } from './methods/top-k.js';
export { parseIndexSpec } from './methods/index-spec.js';
export {
  channel,
  neuron,
  classLogit,
  deepdream,
  diversity,
  sum,
  scale,
  negate,
  lp,
  // The penalty itself (regularizers) is `totalVariation`; this is it as an objective term.
  totalVariation as totalVariationObjective,
  INPUT,
  checkObjective,
  type Objective,
  type Activations,
} from './objectives/objective.js';
export {
  objectiveFromSpec,
  readObjectiveSpec,
  specLayers,
  type ObjectiveSpec,
} from './objectives/objective-spec.js';
export type {
  Parameterization,
  ImageShape,
  SpatialBasis,
} from './parameterizations/parameterization.js';
export { pixelImage, pixelBasis, type PixelOptions } from './parameterizations/pixel.js';
export { fourierImage, fourierBasis, type FourierOptions } from './parameterizations/fourier.js';
export { macoImage, macoBasis } from './parameterizations/maco.js';
export { laplacianPyramidBasis } from './parameterizations/laplacian-pyramid.js';
export {
  colourStage,
  colorDecorrelationMatrix,
  type ColourStage,
  type ColourStageOptions,
} from './parameterizations/colour-stage.js';
export { composeImage } from './parameterizations/compose-image.js';
export {
  PARAMETERIZATIONS,
  PARAMETERIZATION_CHOICES,
  createParameterization,
} from './parameterizations/registry.js';
export type {
  ParameterizationRecord,
  ParameterizationContext,
} from './parameterizations/parameterization-record.js';
export { InverseRfft2d } from './parameterizations/inverse-fft.js';
export {
  pad,
  jitter,
  randomScale,
  randomRotate,
  compose,
  fromSpec,
  standardTransforms,
  standardTransformsAt,
  type Transform,
  type TransformSpec,
} from './transforms/transforms.js';
export {
  transformSchedule,
  type TransformFunction,
  type TransformPart,
  type TransformSchedule,
} from './transforms/transform-schedule.js';
export { rotate } from './transforms/affine-sample.js';
export {
  decay,
  blur,
  gaussianKernel,
  clipSmallNorm,
  clipSmallContribution,
  applyYosinski,
  applyPostStep,
  yosinskiOperations,
  type PostStepOperation,
  type YosinskiSettings,
} from './regularizers/yosinski.js';
export { totalVariation, lpNorm, penalty, type PenaltySettings } from './regularizers/penalties.js';
export { createStepRule, type StepRule, type StepRuleSpec } from './optimize/step-rules.js';
export { redirectedRelu } from './optimize/redirected-relu.js';
export { createRng, type Rng } from './optimize/rng.js';
export {
  maximize,
  standardize,
  partsFromSettings,
  effectiveStepRule,
  type MaximizeParts,
  type Frame,
  type ImageBatch,
  type HistoryFrame,
  type MaximizeOptions,
  type MaximizeResult,
  type StopSignal,
} from './optimize/maximize.js';
export {
  PRESETS,
  DEFAULT_PRESET,
  getPreset,
  fromYosinskiRate,
  type Preset,
} from './optimize/presets.js';
export { SETTING_OPTIONS, applyOverrides, type SettingOption } from './optimize/setting-options.js';
export type { OptimizationSettings, ParameterizationSpec } from './optimize/settings.js';
export { evaluate, type Evaluation, type ClassScore } from './evaluation/confusion.js';
