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

for (const layer of [HardSigmoid, HardSwish, ConstantPadding2D]) tf.serialization.registerClass(layer);

/** PyTorch's max-pool padding value, finite so that no 0 * inf turns a gradient into NaN. */
export const MAX_POOL_PAD = -3.4e38;
