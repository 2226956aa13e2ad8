/**
 * `VisModel`: the one view of a model that every convscope method uses. It wraps a TF.js
 * LayersModel (Sequential or functional, single image input), knows its layer graph with
 * receptive fields, its input spec and preprocessing, its labels and its pre-softmax logits,
 * and reads any set of layers in one forward pass. Methods hand it images in [0, 1] (RGB or
 * gray, NHWC) and never see the model's own input convention.
 */
import * as tf from '@tensorflow/tfjs';
import { ConvscopeError, listForMessage } from '../errors.js';
import { useFastGradients } from '../kernel-patches/register.js';
import { LOGITS, forward, type ForwardOptions, type LogitsSource } from './forward.js';
import { buildLayerGraph, type LayerNode } from './layer-graph.js';
import { meanPixel, toModelInput, validateInputSpec, type InputSpec } from './input-spec.js';
import { acceptsAnySize, withInputSize } from './resize-input.js';
import { classIndexOf } from '../run/run-items.js';

export interface VisModelOptions {
  /** Display name (e.g. `embedded`, `vgg16`, a path). */
  name?: string;
  /** Overrides of what is read from the model (range, preprocessing). */
  input?: Partial<InputSpec>;
  /** Class names, index-aligned with the model's output units. */
  labels?: string[];
  /** The training data's mean image, HWC in [0, 1] (e.g. models/embedded/mean.png). */
  meanImage?: Float32Array;
  /** Other names of layers (an imported PyTorch container's path -> the layer that is its output). */
  aliases?: ReadonlyMap<string, string>;
  /** Notes on layers that `layers` shows (e.g. a batch norm folded into a convolution). */
  notes?: ReadonlyMap<string, string>;
  /**
   * Builds the model anew at another input size (importers whose layers depend on the size, as
   * ONNX's explicit pads and global pools do); without it the topology is re-instantiated.
   */
  reopen?: (height: number, width: number) => Promise<VisModel>;
}

function findLogits(output: LayerNode): { source: LogitsSource; softmax: boolean } {
  const config = output.layer.getConfig() as Record<string, unknown>;
  if (output.kind === 'Softmax' || (output.kind === 'Activation' && config.activation === 'softmax')) {
    return { source: { layer: output.inputs[0], preActivation: false }, softmax: true };
  }
  if (config.activation === 'softmax') return { source: { layer: output.name, preActivation: true }, softmax: true };
  return { source: { layer: output.name, preActivation: false }, softmax: false };
}

export class VisModel {
  readonly name: string;
  readonly model: tf.LayersModel;
  readonly layers: LayerNode[];
  readonly input: InputSpec;
  readonly labels?: string[];
  /** The training data's mean image, HWC in [0, 1] (the mean pixel when not given). */
  readonly meanImage: Float32Array;
  /** True when the output is a softmax (logits are read before it). */
  readonly hasSoftmax: boolean;
  /** Where the pre-softmax logits are read. */
  readonly logitsSource: LogitsSource;
  /** Other names of layers, e.g. `layer1.0` for `layer1.0.relu_1` (PyTorch container paths). */
  readonly aliases: ReadonlyMap<string, string>;
  private readonly byName: Map<string, LayerNode>;
  private readonly reopen?: VisModelOptions['reopen'];

  constructor(model: tf.LayersModel, options: VisModelOptions = {}) {
    useFastGradients();
    if (model.inputs.length !== 1 || model.outputs.length !== 1) {
      throw new ConvscopeError(
        `the model has ${model.inputs.length} inputs and ${model.outputs.length} outputs; convscope supports one image input and one output`,
      );
    }
    const shape = model.inputs[0].shape;
    if (shape.length !== 4) {
      throw new ConvscopeError(`the model's input has shape [${shape.join(', ')}]; convscope needs images [batch, height, width, channels]`);
    }
    const [, height, width, channels] = shape;
    if (height == null || width == null || channels == null) {
      throw new ConvscopeError('the model does not fix its input size', 'rebuild it with a fixed inputShape, e.g. [224, 224, 3]');
    }
    this.model = model;
    this.name = options.name ?? model.name;
    this.labels = options.labels;
    this.input = validateInputSpec({
      height,
      width,
      channels,
      range: [0, 1],
      preprocess: 'none',
      ...options.input,
    });
    const pixels = this.input.height * this.input.width;
    const mean = meanPixel(this.input);
    if (options.meanImage && options.meanImage.length !== pixels * this.input.channels) {
      throw new ConvscopeError(
        `the mean image has ${options.meanImage.length} values; the model input has ${pixels * this.input.channels}`,
      );
    }
    this.meanImage =
      options.meanImage ?? Float32Array.from({ length: pixels * mean.length }, (_, i) => mean[i % mean.length]);
    this.layers = buildLayerGraph(model);
    for (const node of this.layers) {
      const note = options.notes?.get(node.name);
      if (note) node.note = note;
    }
    this.aliases = options.aliases ?? new Map();
    this.reopen = options.reopen;
    this.byName = new Map(this.layers.map((n) => [n.name, n]));
    const { source, softmax } = findLogits(this.layers[this.layers.length - 1]);
    this.logitsSource = source;
    this.hasSoftmax = softmax;
  }

  /** The layer called `name`; the error lists the valid names. */
  layer(name: string): LayerNode {
    const node = this.byName.get(name) ?? this.byName.get(this.aliases.get(name) ?? '');
    if (!node) {
      throw new ConvscopeError(
        `unknown layer '${name}'; layers are: ${listForMessage(this.layers.map((l) => l.name))}`,
        'see `convscope layers`',
      );
    }
    return node;
  }

  /** Number of output classes (units of the last layer). */
  get classes(): number {
    return this.layers[this.layers.length - 1].channels ?? 0;
  }

  /** True when the model ends in class scores ([batch, classes]), not in a feature map. */
  get hasClassifier(): boolean {
    return this.layers[this.layers.length - 1].outputShape.length === 1;
  }

  /** Throws a one-line error when `what` needs classes and the model has none. */
  requireClassifier(what: string): void {
    if (this.hasClassifier) return;
    const last = this.layers[this.layers.length - 1];
    throw new ConvscopeError(
      `${what} needs class scores, but ${this.name} has no classifier: its output '${last.name}' is a ${last.outputShape.join('x')} feature map`,
      'use a model with its classifier (e.g. vgg16 rather than vgg16-notop), or look at units with filters, maps or attribute --layer L --filters K',
    );
  }

  /** Maps [0, 1] images to model input (preprocessing), checking their shape. */
  toModelInput(images: tf.Tensor4D): tf.Tensor4D {
    const [, h, w, c] = images.shape;
    const { height, width, channels } = this.input;
    if (h !== height || w !== width || c !== channels) {
      throw new ConvscopeError(
        `images are ${h}x${w}x${c} but the model takes ${height}x${width}x${channels}`,
        'resize the images to the model input first (the CLI does this when it loads them)',
      );
    }
    return toModelInput(images, this.input);
  }

  /**
   * Outputs of the named layers for images in [0, 1], in one forward pass that computes only
   * what they need (`LOGITS` names the pre-softmax logits). Differentiable with respect to
   * `images`.
   */
  activations(images: tf.Tensor4D, layerNames: string[], options: ForwardOptions = {}): Record<string, tf.Tensor> {
    for (const name of layerNames) if (name !== LOGITS) this.layer(name);
    return tf.tidy(() => forward(this.layers, this.toModelInput(images), layerNames, this.logitsSource, options));
  }

  /**
   * Outputs of the named layers for model-space input (already preprocessed), as the engines
   * see it. Differentiable with respect to `input`.
   */
  forwardModelInput(input: tf.Tensor4D, layerNames: string[], options: ForwardOptions = {}): Record<string, tf.Tensor> {
    for (const name of layerNames) if (name !== LOGITS) this.layer(name);
    return forward(this.layers, input, layerNames, this.logitsSource, options);
  }

  /** Pre-softmax class scores [batch, classes]. */
  logits(images: tf.Tensor4D, options: ForwardOptions = {}): tf.Tensor2D {
    return tf.tidy(
      () => forward(this.layers, this.toModelInput(images), [LOGITS], this.logitsSource, options)[LOGITS] as tf.Tensor2D,
    );
  }

  /** Class probabilities [batch, classes] (the model's own output when it has no softmax). */
  predict(images: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => {
      const logits = this.logits(images);
      return this.hasSoftmax ? tf.softmax(logits) : logits;
    });
  }

  /** A LayersModel whose outputs are the named layers (for use outside convscope). */
  subModel(layerNames: string[]): tf.LayersModel {
    const outputs = layerNames.map((n) => this.layer(n).layer.output as tf.SymbolicTensor);
    return tf.model({ inputs: this.model.inputs, outputs });
  }

  /** The class index for a name or number (`tabby`, `281`). */
  classIndex(spec: string | number): number {
    this.requireClassifier('a class target');
    return classIndexOf(spec, this.classes, this.labels);
  }


  /**
   * The same model at another input size (fully convolutional models only; the error says
   * why otherwise). Labels, preprocessing and name carry over; the mean image becomes the
   * mean pixel.
   */
  async withInputSize(height: number, width: number): Promise<VisModel> {
    if (this.reopen) return this.reopen(height, width);
    const model = await withInputSize(this.model, height, width);
    const { range, preprocess } = this.input;
    return new VisModel(model, { name: this.name, labels: this.labels, input: { range, preprocess } });
  }

  /** True when the model takes any input size (no Flatten/Dense layer). */
  get acceptsAnySize(): boolean {
    return acceptsAnySize(this.model);
  }

  dispose(): void {
    this.model.dispose();
  }
}
