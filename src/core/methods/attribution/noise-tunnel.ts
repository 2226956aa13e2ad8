/**
 * The noise tunnel: SmoothGrad of any method (Smilkov et al. 2017, SmoothGrad: removing noise by
 * adding noise), the mean of the method's attributions over `samples` copies of the image plus
 * Gaussian noise of sd `noise` (a fraction of the [0, 1] input range); `smoothing: squared`
 * averages their squares instead (SmoothGrad-squared, Hooker et al. 2019, as Captum's
 * NoiseTunnel names it). The copies go through the base method 8 at a time; the `smoothgrad`
 * record wraps saliency by default, which is the original SmoothGrad.
 */
import * as tf from '@tensorflow/tfjs';
import {
  runMethod,
  type AttributionRecord,
  type MethodCall,
  type MethodOutput,
} from './method-record.js';

/**
 * The seed of a chunk's noise: tfjs takes a seed of 0 for "no seed" (Math.random), which made
 * the default seed 0 draw different noise on every run; shifted, every seed counts.
 */
export const noiseSeed = (seed = 0, chunk = 0) => seed + chunk + 1 || Number.MAX_SAFE_INTEGER;

/** Copies of the image per pass through the base method. */
export const TUNNEL_CHUNK = 8;

/** `images` [1, h, w, c] tiled `n` times plus the seeded noise of the chunk starting at `start`. */
export function noisyCopies(
  images: tf.Tensor4D,
  n: number,
  sd: number,
  seed: number,
  start: number,
): tf.Tensor4D {
  return tf.tidy(() => {
    const batch = tf.tile(images, [n, 1, 1, 1]);
    const noise = tf.randomNormal(batch.shape, 0, 1, 'float32', noiseSeed(seed, start));
    return (sd > 0 ? tf.add(batch, tf.mul(noise, sd)) : batch) as tf.Tensor4D;
  });
}

/** `total` + the batch sum of `values` (squared first when asked); `total` is disposed. */
function accumulate(total: tf.Tensor4D | undefined, values: tf.Tensor4D, squared: boolean) {
  const next = tf.tidy(() => {
    const sum = tf.sum(squared ? tf.square(values) : values, 0, true) as tf.Tensor4D;
    // Added to zeros even the first time, as SmoothGrad always did: 0 + (-0) is +0.
    return tf.add(total ?? tf.zerosLike(sum), sum) as tf.Tensor4D;
  });
  total?.dispose();
  return next;
}

/**
 * The mean of `base` over noisy copies of `call.images` (one image [1, h, w, c]).
 *
 * @example const { values } = await noiseTunnel(gradCamRecord, call, { samples: 25, noise: 0.15 });
 */
export async function noiseTunnel(
  base: AttributionRecord,
  call: MethodCall,
  settings: { samples: number; noise: number; squared?: boolean },
): Promise<MethodOutput> {
  const { samples, noise, squared = false } = settings;
  let total: tf.Tensor4D | undefined;
  let camTotal: tf.Tensor4D | undefined;
  let camLayer: string | undefined;
  for (let start = 0; start < samples; start += TUNNEL_CHUNK) {
    const n = Math.min(TUNNEL_CHUNK, samples - start);
    const noisy = noisyCopies(call.images, n, noise, call.seed, start);
    const out = await runMethod(base, { ...call, images: noisy }).finally(() => noisy.dispose());
    total = accumulate(total, out.values, squared);
    out.values.dispose();
    if (out.cam) {
      camTotal = accumulate(camTotal, out.cam, squared);
      out.cam.dispose();
      camLayer = out.camLayer;
    }
  }
  const mean = (t: tf.Tensor4D) => {
    const m = tf.div(t, samples) as tf.Tensor4D;
    t.dispose();
    return m;
  };
  return {
    values: mean(total!),
    ...(camTotal ? { cam: mean(camTotal), camLayer } : {}),
  };
}

/**
 * The `smoothgrad` record: the noise tunnel over one of `bases` (default saliency).
 */
export function smoothGradRecord(bases: readonly AttributionRecord[]): AttributionRecord {
  const baseOf = (options: Readonly<Record<string, unknown>>) =>
    bases.find((b) => b.name === (options.base ?? 'saliency')) ?? bases[0];
  return {
    name: 'smoothgrad',
    title: 'SmoothGrad',
    paper: 'Smilkov et al. 2017, SmoothGrad: removing noise by adding noise',
    display: 'magnitude',
    quantity: '|mean gradient under noise|',
    options: [
      {
        key: 'samples',
        description: 'SmoothGrad: noisy copies',
        default: 25,
        integer: true,
        min: 1,
        placeholder: '<n>',
      },
      {
        key: 'noise',
        description: 'SmoothGrad: noise sd as a fraction of the input range',
        default: 0.15,
        min: 0,
        placeholder: '<sd>',
      },
      {
        key: 'base',
        description: 'SmoothGrad: the method averaged under noise',
        default: 'saliency',
        choices: bases.map((b) => b.name),
        placeholder: '<method>',
      },
      {
        key: 'seed',
        description: 'SmoothGrad: seed of the noise',
        default: 0,
        integer: true,
        shared: true,
      },
      {
        key: 'smoothing',
        description: 'SmoothGrad: average the attributions (mean) or their squares (squared)',
        default: 'mean',
        choices: ['mean', 'squared'],
        placeholder: '<kind>',
      },
    ],
    interactive: false,
    baseOf,
    run: async (input) => {
      const base = baseOf(input.options);
      const squared = input.options.smoothing === 'squared';
      const out = await noiseTunnel(base, input, {
        samples: input.options.samples as number,
        noise: input.options.noise as number,
        squared,
      });
      if (base.name === 'saliency' && !squared) return out;
      return {
        ...out,
        display: squared ? 'magnitude' : base.display,
        quantity: `${squared ? 'mean square of ' : ''}${base.title} under noise`,
      };
    },
  };
}
