/**
 * The inverse real 2-D discrete Fourier transform (numpy's `irfft2`) as four small matrix
 * products, for the Fourier parameterization. tfjs' FFT kernels are missing on the WASM
 * backend and slow elsewhere at these sizes; a DFT as matmul is exact, differentiable on
 * every backend, and at 128-224 px costs a few tens of MFLOP.
 *
 * For a half spectrum X (h rows, w/2+1 columns): first the full inverse DFT along y
 * (complex), then the Hermitian inverse along x, where bins other than DC and Nyquist count
 * twice and the imaginary parts of DC and Nyquist are ignored, as in numpy.
 */
import * as tf from '@tensorflow/tfjs';

interface Bases {
  cosY: tf.Tensor2D;
  sinY: tf.Tensor2D;
  cosX: tf.Tensor2D;
  sinX: tf.Tensor2D;
  /** cosX and sinX transposed, for the gradient (no transposed matmuls on the way back). */
  cosXt: tf.Tensor2D;
  sinXt: tf.Tensor2D;
}

/** Number of half-spectrum columns for width `w`. */
export const halfWidth = (w: number): number => Math.floor(w / 2) + 1;

/**
 * The inverse DFT's bases as plain arrays: cosY, sinY [h, h] (symmetric, with the 1/h), cosX,
 * sinX [w/2+1, w] (with the 1/w and the Hermitian weights), and cosX, sinX transposed.
 */
export function dftBases(h: number, w: number): Record<keyof Bases, Float32Array> {
  const wf = halfWidth(w);
  const cosY = new Float32Array(h * h);
  const sinY = new Float32Array(h * h);
  for (let y = 0; y < h; y++) {
    for (let k = 0; k < h; k++) {
      const angle = (2 * Math.PI * ((y * k) % h)) / h;
      cosY[y * h + k] = Math.cos(angle) / h;
      sinY[y * h + k] = Math.sin(angle) / h;
    }
  }
  const cosX = new Float32Array(wf * w);
  const sinX = new Float32Array(wf * w);
  for (let k = 0; k < wf; k++) {
    const weight = k === 0 || (w % 2 === 0 && k === w / 2) ? 1 : 2;
    for (let x = 0; x < w; x++) {
      const angle = (2 * Math.PI * ((k * x) % w)) / w;
      cosX[k * w + x] = (weight * Math.cos(angle)) / w;
      sinX[k * w + x] = (weight * Math.sin(angle)) / w;
    }
  }
  const transpose = (m: Float32Array) => {
    const t = new Float32Array(m.length);
    for (let k = 0; k < wf; k++) for (let x = 0; x < w; x++) t[x * wf + k] = m[k * w + x];
    return t;
  };
  return { cosY, sinY, cosX, sinX, cosXt: transpose(cosX), sinXt: transpose(sinX) };
}

function bases(h: number, w: number): Bases {
  const wf = halfWidth(w);
  const m = dftBases(h, w);
  return {
    cosY: tf.tensor2d(m.cosY, [h, h]),
    sinY: tf.tensor2d(m.sinY, [h, h]),
    cosX: tf.tensor2d(m.cosX, [wf, w]),
    sinX: tf.tensor2d(m.sinX, [wf, w]),
    cosXt: tf.tensor2d(m.cosXt, [w, wf]),
    sinXt: tf.tensor2d(m.sinXt, [w, wf]),
  };
}

/** Holds the DFT bases for one image size; `dispose()` frees them. */
export class InverseRfft2d {
  private readonly bases: Bases;

  constructor(
    readonly height: number,
    readonly width: number,
  ) {
    this.bases = bases(height, width);
  }

  /**
   * Real images [n, h, w] from a half spectrum given as real and imaginary parts
   * [n, h, w/2+1]. Its gradient is written out (the same products with the transposed bases;
   * cosY and sinY are symmetric), which on WASM runs ~5x faster than tfjs' generic matmul
   * gradients with transposed operands.
   */
  apply(real: tf.Tensor3D, imaginary: tf.Tensor3D): tf.Tensor3D {
    const { cosY, sinY, cosX, sinX, cosXt, sinXt } = this.bases;
    const [n, h, wf] = real.shape;
    const w = this.width;
    // [h, n * wf]: rows are the y frequency, so one matmul transforms every image.
    const rows = (t: tf.Tensor3D) => tf.reshape(tf.transpose(t, [1, 0, 2]), [h, n * wf]);
    const unrows = (t: tf.Tensor, cols: number) =>
      tf.transpose(tf.reshape(t, [h, n, cols]), [1, 0, 2]) as tf.Tensor3D;
    const inverse = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const [re, im] = args as [tf.Tensor3D, tf.Tensor3D];
      const [xr, xi] = [rows(re), rows(im)];
      const ar = tf.sub(tf.matMul(cosY, xr), tf.matMul(sinY, xi));
      const ai = tf.add(tf.matMul(sinY, xr), tf.matMul(cosY, xi));
      const flat = (t: tf.Tensor) => tf.reshape(t, [h * n, wf]);
      const image = tf.sub(tf.matMul(flat(ar), cosX), tf.matMul(flat(ai), sinX));
      return {
        value: unrows(image, w),
        gradFunc: (dy: tf.Tensor) => {
          const dImage = tf.reshape(tf.transpose(dy, [1, 0, 2]), [h * n, w]);
          const dar = tf.reshape(tf.matMul(dImage, cosXt), [h, n * wf]);
          const dai = tf.reshape(tf.neg(tf.matMul(dImage, sinXt)), [h, n * wf]);
          const dxr = tf.add(tf.matMul(cosY, dar), tf.matMul(sinY, dai));
          const dxi = tf.sub(tf.matMul(cosY, dai), tf.matMul(sinY, dar));
          return [unrows(dxr, wf), unrows(dxi, wf)];
        },
      };
    });
    return tf.tidy(() => inverse(real, imaginary) as tf.Tensor3D);
  }

  dispose(): void {
    Object.values(this.bases).forEach((t: tf.Tensor) => t.dispose());
  }
}

/** Spatial frequencies of the half spectrum, sqrt(fy^2 + fx^2) in cycles per pixel: [h, wf]. */
export function spectrumFrequencies(h: number, w: number): Float32Array {
  const wf = halfWidth(w);
  const fftfreq = (i: number, n: number) => (i < Math.ceil(n / 2) ? i : i - n) / n;
  const out = new Float32Array(h * wf);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < wf; x++) out[y * wf + x] = Math.hypot(fftfreq(y, h), x / w);
  }
  return out;
}
