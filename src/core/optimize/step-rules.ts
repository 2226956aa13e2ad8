/**
 * Step rules for gradient ascent on the parameterization's variables. Every rule treats each
 * image of the batch on its own (norms are per image, Adam is per element), so optimizing N
 * filters in one batch gives each the steps it would get alone:
 * - `adam`: Adam (Kingma & Ba), Lucid's choice (lr 0.05);
 * - `nadam`: Adam with Nesterov momentum (Dozat 2016, without Keras' momentum schedule),
 *   MACO's choice (Xplique: lr 1.0);
 * - `sgd`: constant learning rate (Yosinski et al.'s presets 2 and 3);
 * - `progress`: lr = min(maxLr, progress / ||g||^2), a step that would raise the objective by
 *   about `progress` to first order (Yosinski et al.'s presets 1 and 4);
 * - `rms`: the gradient divided by its root mean square, times lr (Chollet's Keras tutorial).
 */
import * as tf from '@tensorflow/tfjs';

export interface StepRuleSpec {
  kind: 'adam' | 'nadam' | 'sgd' | 'progress' | 'rms';
  /** Learning rate (the maximum for `progress`). */
  lr: number;
  /** Target first-order gain of the objective per step (`progress`). */
  progress?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

export interface StepRule {
  /** Adds the ascent step for `gradients` to `variables` (both per variable). */
  apply(variables: tf.Variable[], gradients: tf.Tensor[], step: number): void;
  dispose(): void;
}

/** Per-image sum of squares over all variables: [batch, 1]. */
function squaredNormPerImage(gradients: tf.Tensor[], batch: number): tf.Tensor2D {
  return tf.addN(
    gradients.map((g) => tf.sum(tf.square(tf.reshape(g, [batch, -1])), 1, true)),
  ) as tf.Tensor2D;
}

/** Multiplies each image's part of `t` by its factor ([batch, 1]). */
function perImage(t: tf.Tensor, factor: tf.Tensor2D, batch: number): tf.Tensor {
  return tf.reshape(tf.mul(tf.reshape(t, [batch, -1]), factor), t.shape);
}

/**
 * @example const rule = createStepRule({ kind: 'adam', lr: 0.05 }, 8)
 */
export function createStepRule(spec: StepRuleSpec, batch: number): StepRule {
  const { beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8 } = spec;
  let moments: { m: tf.Variable; v: tf.Variable }[] | null = null;
  return {
    apply(variables, gradients, step) {
      tf.tidy(() => {
        if (spec.kind === 'adam' || spec.kind === 'nadam') {
          moments ??= variables.map((v) => ({
            m: tf.variable(tf.zerosLike(v), false),
            v: tf.variable(tf.zerosLike(v), false),
          }));
          const correction1 = 1 - beta1 ** step;
          const correction2 = 1 - beta2 ** step;
          variables.forEach((variable, i) => {
            const g = gradients[i];
            const { m, v } = moments![i];
            m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
            v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
            // Nadam looks one momentum step ahead: b1 m / (1 - b1^(t+1)) + (1 - b1) g / (1 - b1^t).
            const first =
              spec.kind === 'nadam'
                ? tf.add(
                    tf.mul(m, beta1 / (1 - beta1 ** (step + 1))),
                    tf.mul(g, (1 - beta1) / correction1),
                  )
                : tf.div(m, correction1);
            const update = tf.div(first, tf.add(tf.sqrt(tf.div(v, correction2)), epsilon));
            variable.assign(tf.add(variable, tf.mul(update, spec.lr)));
          });
          return;
        }
        let factor: tf.Tensor2D;
        if (spec.kind === 'sgd') factor = tf.fill([batch, 1], spec.lr) as tf.Tensor2D;
        else if (spec.kind === 'progress') {
          const squared = squaredNormPerImage(gradients, batch);
          factor = tf.minimum(tf.div(spec.progress ?? 2, tf.add(squared, 1e-30)), spec.lr);
        } else {
          const count = gradients.reduce((n, g) => n + g.size / batch, 0);
          const rms = tf.sqrt(tf.div(squaredNormPerImage(gradients, batch), count));
          factor = tf.div(spec.lr, tf.add(rms, 1e-5)) as tf.Tensor2D;
        }
        variables.forEach((variable, i) =>
          variable.assign(tf.add(variable, perImage(gradients[i], factor, batch))),
        );
      });
    },
    dispose() {
      moments?.forEach(({ m, v }) => {
        m.dispose();
        v.dispose();
      });
      moments = null;
    },
  };
}
