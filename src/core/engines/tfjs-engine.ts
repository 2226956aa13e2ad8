/**
 * The TF.js engine: the network interpreted with tf ops on the active backend (WASM or CPU in
 * Node; WebGPU, WebGL or WASM in a browser). It is the reference every other engine is tested
 * against and runs every model convscope can open. Methods that run on TF.js directly keep
 * their fused paths (activation maximization differentiates the whole pipeline in one tape);
 * this class gives the same computation behind the engine seam, with arrays at the boundary.
 */
import * as tf from '@tensorflow/tfjs';
import type { VisModel } from '../models/vis-model.js';
import { reluFor } from '../methods/relu-rules.js';
import { fromArrayBatch, toArrayBatch } from './engine-tensors.js';
import type { ArrayBatch, NetworkEngine, VjpRequest, VjpResult } from './network-engine.js';

export class TfjsEngine implements NetworkEngine {
  readonly name = 'tfjs' as const;
  readonly description: string;

  constructor(private readonly model: VisModel) {
    this.description = `tfjs ${tf.version_core} (${tf.getBackend()})`;
  }

  async activations(input: ArrayBatch, layers: string[]): Promise<Record<string, ArrayBatch>> {
    const outputs = tf.tidy(() =>
      this.model.forwardModelInput(fromArrayBatch(input) as tf.Tensor4D, layers, {
        inference: true,
      }),
    );
    try {
      const result: Record<string, ArrayBatch> = {};
      for (const name of layers) result[name] = await toArrayBatch(outputs[name]);
      return result;
    } finally {
      Object.values(outputs).forEach((t) => t.dispose());
    }
  }

  async vjp(request: VjpRequest): Promise<VjpResult> {
    const relu = reluFor(request.rule, request.redirect);
    const seedNames = Object.keys(request.seeds);
    const wanted = [...new Set([...seedNames, ...(request.outputs ?? [])])];
    const x = fromArrayBatch(request.input) as tf.Tensor4D;
    const seeds = seedNames.map((n) => fromArrayBatch(request.seeds[n]));
    const kept: Record<string, tf.Tensor> = {};
    const objective = (value: Record<string, tf.Tensor>) => {
      for (const name of request.outputs ?? []) kept[name] = tf.keep(value[name].clone());
      return tf.addN(seedNames.map((n, i) => tf.sum(tf.mul(value[n], seeds[i])))) as tf.Scalar;
    };
    let gradient: tf.Tensor;
    try {
      if (request.at) {
        const at = request.at;
        const base = tf.tidy(() => this.model.forwardModelInput(x, [at], { relu })[at]);
        const probe = tf.zerosLike(base);
        base.dispose();
        gradient = tf.tidy(() =>
          tf.grad((p: tf.Tensor) =>
            objective(
              this.model.forwardModelInput(x, wanted, {
                relu,
                tap: (layer, output) => (layer === at ? tf.add(output, p) : output),
              }),
            ),
          )(probe),
        );
        probe.dispose();
      } else {
        gradient = tf.tidy(() =>
          tf.grad((input: tf.Tensor) =>
            objective(this.model.forwardModelInput(input as tf.Tensor4D, wanted, { relu })),
          )(x),
        );
      }
      const outputs: Record<string, ArrayBatch> = {};
      for (const [name, t] of Object.entries(kept)) outputs[name] = await toArrayBatch(t);
      const result = { gradient: await toArrayBatch(gradient), outputs };
      gradient.dispose();
      return result;
    } finally {
      x.dispose();
      seeds.forEach((s) => s.dispose());
      Object.values(kept).forEach((t) => t.dispose());
    }
  }

  dispose(): void {}
}
