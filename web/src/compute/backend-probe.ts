/**
 * The start-up measurement behind `auto`: one short step of the kind the workbench runs (two
 * 3x3 convolutions of 32 channels on a 64x64 map with ReLU and a 2x2 max pool, forward and
 * input gradient, ~150 MFLOP), timed on a backend after one warm-up run that compiles its
 * shaders. Big enough that a real GPU's dispatch overhead does not decide it, small enough to
 * cost well under a second on WASM. A software GPU (SwiftShader) then loses to WASM on its own.
 */
import * as tf from '@tensorflow/tfjs';

/** Timed runs after the warm-up (fewer when one run already takes this long, in ms). */
const RUNS = 3;
const ENOUGH_MS = 1500;

/**
 * Milliseconds of one probe step on the active backend: the fastest of a few runs, fewer when
 * a run is already twice `toBeat` (the best so far elsewhere: it cannot win).
 */
export async function probeStep(toBeat = Infinity): Promise<number> {
  const [x, f1, f2] = tf.tidy(() => [
    tf.randomNormal([1, 64, 64, 32], 0, 1, 'float32', 1),
    tf.randomNormal([3, 3, 32, 32], 0, 0.1, 'float32', 2),
    tf.randomNormal([3, 3, 32, 32], 0, 0.1, 'float32', 3),
  ]);
  const step = () =>
    tf.tidy(() =>
      tf.grad((v: tf.Tensor) => {
        const a = tf.relu(tf.conv2d(v as tf.Tensor4D, f1 as tf.Tensor4D, 1, 'same'));
        const b = tf.relu(tf.conv2d(tf.maxPool(a, 2, 2, 'valid'), f2 as tf.Tensor4D, 1, 'same'));
        return tf.mean(b);
      })(x as tf.Tensor4D),
    );
  const run = async () => {
    const gradient = step();
    await gradient.data();
    gradient.dispose();
  };
  try {
    await run();
    let best = Infinity;
    let spent = 0;
    for (let i = 0; i < RUNS && spent < ENOUGH_MS && (i === 0 || best < 2 * toBeat); i++) {
      const start = performance.now();
      await run();
      const ms = performance.now() - start;
      best = Math.min(best, ms);
      spent += ms;
    }
    return best;
  } finally {
    [x, f1, f2].forEach((t) => t.dispose());
  }
}
