/**
 * The few layers ONNX models need that TF.js layers lack: PyTorch's hard sigmoid and hard swish
 * (slope 1/6, where Keras' hard_sigmoid has 0.2) and padding with a constant other than zero
 * (a max pool's padding is -inf in PyTorch; zeros would change the maximum of signed inputs).
 * They are registered with tfjs' serializer, so a converted model saves and loads as model.json.
 */
import * as tf from '@tensorflow/tfjs';

type Kwargs = Record<string, unknown>;

/** clip(alpha * x + beta, 0, 1): ONNX HardSigmoid (PyTorch exports alpha 1/6, beta 0.5). */
export class HardSigmoid extends tf.layers.Layer {
  static className = 'HardSigmoid';
  readonly alpha: number;
  readonly beta: number;

  constructor(args: { alpha?: number; beta?: number; name?: string }) {
    super(args);
    this.alpha = args.alpha ?? 0.2;
    this.beta = args.beta ?? 0.5;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => tf.clipByValue(tf.add(tf.mul(x, this.alpha), this.beta), 0, 1));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), alpha: this.alpha, beta: this.beta };
  }
}

/** x * clip(x / 6 + 1/2, 0, 1): ONNX HardSwish (opset 14), PyTorch's nn.Hardswish. */
export class HardSwish extends tf.layers.Layer {
  static className = 'HardSwish';

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => tf.mul(x, tf.clipByValue(tf.add(tf.div(x, 6), 0.5), 0, 1)));
  }
}

/** Pads rows and columns of NHWC maps with a constant: padding [[top, bottom], [left, right]]. */
export class ConstantPadding2D extends tf.layers.Layer {
  static className = 'ConstantPadding2D';
  readonly padding: [[number, number], [number, number]];
  readonly value: number;

  constructor(args: { padding: [[number, number], [number, number]]; value: number; name?: string }) {
    super(args);
    this.padding = args.padding;
    this.value = args.value;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [n, h, w, c] = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const [[t, b], [l, r]] = this.padding;
    return [n, h == null ? null : h + t + b, w == null ? null : w + l + r, c];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.pad(x, [[0, 0], ...this.padding, [0, 0]], this.value);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), padding: this.padding, value: this.value };
  }
}

type Pair = [number, number];

/** Output size of a window op along one axis, as TF computes it. */
const outSize = (size: number | null, k: number, s: number, d: number, padding: string) =>
  size == null ? null : padding === 'same' ? Math.ceil(size / s) : Math.floor((size - (k - 1) * d - 1) / s) + 1;

/**
 * A convolution in `groups` groups (ResNeXt, RegNet): kernel [kh, kw, C / groups, filters], output
 * channel f in group floor(f / (filters / groups)), as ONNX's grouped OIHW kernel.
 */
export class GroupedConv2D extends tf.layers.Layer {
  static className = 'GroupedConv2D';
  readonly filters: number;
  readonly kernelSize: Pair;
  readonly strides: Pair;
  readonly dilationRate: Pair;
  readonly padding: 'same' | 'valid';
  readonly groups: number;
  readonly useBias: boolean;
  private readonly initializers: { kernel?: unknown; bias?: unknown };
  private kernel?: tf.LayerVariable;
  private bias?: tf.LayerVariable;

  constructor(args: {
    filters: number;
    kernelSize: Pair;
    strides: Pair;
    dilationRate: Pair;
    padding: 'same' | 'valid';
    groups: number;
    useBias: boolean;
    name?: string;
    kernelInitializer?: ReturnType<typeof tf.initializers.zeros>;
    biasInitializer?: ReturnType<typeof tf.initializers.zeros>;
  }) {
    super(args);
    this.filters = args.filters;
    this.kernelSize = args.kernelSize;
    this.strides = args.strides;
    this.dilationRate = args.dilationRate;
    this.padding = args.padding;
    this.groups = args.groups;
    this.useBias = args.useBias;
    this.initializers = { kernel: args.kernelInitializer, bias: args.biasInitializer };
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const channels = shape[3] as number;
    const init = (i: unknown) => (i ?? tf.initializers.zeros()) as ReturnType<typeof tf.initializers.zeros>;
    const kernelShape = [...this.kernelSize, channels / this.groups, this.filters];
    this.kernel = this.addWeight('kernel', kernelShape, 'float32', init(this.initializers.kernel));
    if (this.useBias) this.bias = this.addWeight('bias', [this.filters], 'float32', init(this.initializers.bias));
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [n, h, w] = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const axis = (size: number | null, i: 0 | 1) =>
      outSize(size, this.kernelSize[i], this.strides[i], this.dilationRate[i], this.padding);
    return [n, axis(h, 0), axis(w, 1), this.filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
    return tf.tidy(() => {
      const xs = tf.split(x, this.groups, 3) as tf.Tensor4D[];
      const ks = tf.split(this.kernel!.read() as tf.Tensor4D, this.groups, 3) as tf.Tensor4D[];
      const ys = xs.map((xi, g) => tf.conv2d(xi, ks[g], this.strides, this.padding, 'NHWC', this.dilationRate));
      const y = tf.concat(ys, 3);
      return this.bias ? tf.add(y, this.bias.read()) : y;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const { filters, kernelSize, strides, dilationRate, padding, groups, useBias } = this;
    return { ...super.getConfig(), filters, kernelSize, strides, dilationRate, padding, groups, useBias };
  }
}

for (const layer of [HardSigmoid, HardSwish, ConstantPadding2D, GroupedConv2D]) tf.serialization.registerClass(layer);

/** PyTorch's max-pool padding value, finite so that no 0 * inf turns a gradient into NaN. */
export const MAX_POOL_PAD = -3.4e38;
