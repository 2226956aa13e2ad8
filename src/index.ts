/** convscope for Node: the core plus backends, model and image loading. */
export * from './core/index.js';
export { initBackend, BACKENDS, type BackendName } from './node/backend.js';
export { openModel, EMBEDDED_DIR, ZOO_NAMES, type ModelOptions } from './node/open-model.js';
export { loadLayersModel } from './node/load-layers-model.js';
export { createEngine, AutoEngine, ENGINE_CHOICES, type EngineChoice } from './node/engine.js';
export { OnnxEngine } from './node/onnx/onnx-engine.js';
export { writeNpy, readNpy } from './node/npy.js';
export { loadImage, expandImagePaths, IMAGE_EXTENSIONS, type Fit } from './node/images.js';
export {
  visualize,
  type Manifest,
  type VisualizeItem,
  type VisualizeRun,
} from './node/visualize.js';
export { classifyFiles, type Classified } from './node/classify-files.js';
export { readLabeledImages, type LabeledImage } from './node/labeled-images.js';
