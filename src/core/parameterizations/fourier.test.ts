import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../node/backend.js';
import { colorDecorrelationMatrix, fourierImage } from './fourier.js';
import { InverseRfft2d, halfWidth, spectrumFrequencies } from './inverse-fft.js';

/** numpy.fft.irfft2 written out: a direct double sum over the Hermitian-completed spectrum. */
function bruteIrfft2(re: number[][], im: number[][], h: number, w: number): number[][] {
  const wf = halfWidth(w);
  const out = Array.from({ length: h }, () => new Array<number>(w).fill(0));
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let sum = 0;
      for (let ky = 0; ky < h; ky++) {
        for (let kx = 0; kx < w; kx++) {
          // Full spectrum from the half: X[ky][kx] for kx < wf, else conj(X[-ky][w-kx]).
          let [a, b] =
            kx < wf
              ? [re[ky][kx], im[ky][kx]]
              : [re[(h - ky) % h][w - kx], -im[(h - ky) % h][w - kx]];
          // numpy drops the imaginary part of the DC and Nyquist columns.
          if (kx === 0 || (w % 2 === 0 && kx === w / 2)) {
            const mirror = kx === 0 ? 0 : w / 2;
            [a, b] = [
              (re[ky][mirror] + re[(h - ky) % h][mirror]) / 2,
              (im[ky][mirror] - im[(h - ky) % h][mirror]) / 2,
            ];
          }
          const angle = 2 * Math.PI * ((ky * y) / h + (kx * x) / w);
          sum += a * Math.cos(angle) - b * Math.sin(angle);
        }
      }
      out[y][x] = sum / (h * w);
    }
  }
  return out;
}

describe('inverse real 2-D DFT', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  for (const [h, w] of [
    [5, 6],
    [4, 7],
    [6, 4],
  ]) {
    it(`equals a direct DFT (numpy irfft2) on ${h}x${w}`, async () => {
      const wf = halfWidth(w);
      const re = tf.randomNormal([2, h, wf], 0, 1, 'float32', h * 10 + w) as tf.Tensor3D;
      const im = tf.randomNormal([2, h, wf], 0, 1, 'float32', h * 10 + w + 1) as tf.Tensor3D;
      const inverse = new InverseRfft2d(h, w);
      const got = (await inverse.apply(re, im).array()) as number[][][];
      const [reA, imA] = [(await re.array()) as number[][][], (await im.array()) as number[][][]];
      for (let n = 0; n < 2; n++) {
        const want = bruteIrfft2(reA[n], imA[n], h, w);
        for (let y = 0; y < h; y++)
          for (let x = 0; x < w; x++) expect(got[n][y][x]).toBeCloseTo(want[y][x], 5);
      }
      inverse.dispose();
      tf.dispose([re, im]);
    });
  }

  it('has the gradient of the direct DFT (it is linear: the image of each unit coefficient)', async () => {
    for (const [h, w] of [
      [5, 6],
      [4, 7],
    ]) {
      const wf = halfWidth(w);
      const re = tf.randomNormal([2, h, wf], 0, 1, 'float32', 3) as tf.Tensor3D;
      const im = tf.randomNormal([2, h, wf], 0, 1, 'float32', 4) as tf.Tensor3D;
      const dy = tf.randomNormal([2, h, w], 0, 1, 'float32', 5) as tf.Tensor3D;
      const inverse = new InverseRfft2d(h, w);
      const [gRe, gIm] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(inverse.apply(a as tf.Tensor3D, b as tf.Tensor3D), dy)),
      )([re, im]);
      const [gotRe, gotIm] = [
        (await gRe.array()) as number[][][],
        (await gIm.array()) as number[][][],
      ];
      const upstream = (await dy.array()) as number[][][];
      const zero = () => Array.from({ length: h }, () => new Array<number>(wf).fill(0));
      for (let n = 0; n < 2; n++) {
        for (let ky = 0; ky < h; ky++) {
          for (let kx = 0; kx < wf; kx++) {
            for (const [part, got] of [
              ['re', gotRe],
              ['im', gotIm],
            ] as const) {
              const [ur, ui] = [zero(), zero()];
              (part === 're' ? ur : ui)[ky][kx] = 1;
              const basis = bruteIrfft2(ur, ui, h, w);
              let want = 0;
              for (let y = 0; y < h; y++)
                for (let x = 0; x < w; x++) want += basis[y][x] * upstream[n][y][x];
              expect(got[n][ky][kx]).toBeCloseTo(want, 5);
            }
          }
        }
      }
      inverse.dispose();
      tf.dispose([re, im, dy, gRe, gIm]);
    }
  });

  it('has the frequencies of numpy fftfreq/rfftfreq', () => {
    const f = spectrumFrequencies(4, 4); // fy: 0, .25, -.5, -.25; fx: 0, .25, .5
    expect(Array.from(f).map((v) => Number(v.toFixed(4)))).toEqual(
      [0, 0.25, 0.5, 0.25, 0.3536, 0.559, 0.5, 0.559, 0.7071, 0.25, 0.3536, 0.559].map((v) =>
        Number(v.toFixed(4)),
      ),
    );
  });
});

describe('fourierImage', () => {
  it('normalizes the colour matrix by its largest column norm', () => {
    const m = colorDecorrelationMatrix();
    const norms = [0, 1, 2].map((j) => Math.hypot(m[0][j], m[1][j], m[2][j]));
    expect(Math.max(...norms)).toBeCloseTo(1, 10);
  });

  it('starts near mid grey, stays in (0, 1), differentiates and frees its tensors', () => {
    const before = tf.memory().numTensors;
    const p = fourierImage({ batch: 2, height: 16, width: 12, channels: 3 }, { seed: 3 });
    const image = p.image();
    expect(image.shape).toEqual([2, 16, 12, 3]);
    const values = image.dataSync();
    expect(Math.min(...values)).toBeGreaterThan(0.3);
    expect(Math.max(...values)).toBeLessThan(0.7);
    const { value, grads } = tf.variableGrads(() => tf.mean(p.image()), p.variables);
    const norms = tf.tidy(() => Object.values(grads).map((g) => tf.norm(g).dataSync()[0]));
    expect(norms.every((n) => n > 0)).toBe(true);
    tf.dispose([image, value, ...Object.values(grads)]);
    p.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
