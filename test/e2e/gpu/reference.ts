/**
 * Brute-force references for the GPU kernel tests, in float64 loops that share nothing with
 * tfjs: convolution (strides, dilation, same/valid padding, depthwise), max pooling with the
 * first-maximum tie rule, average pooling, half-pixel bilinear resizing, the inverse real 2-D
 * DFT, and softmax. Each returns the forward value and the gradient of `sum(y * w)` for a fixed
 * random `w`, which is what the page computes with `tf.grad`. Layout is NHWC throughout.
 */
type Shape4 = [number, number, number, number];

export interface Geometry {
  outHeight: number;
  outWidth: number;
  top: number;
  left: number;
}

/** TensorFlow's output size and leading padding for 'same' and 'valid'. */
export function geometry(
  [h, w]: [number, number],
  [kh, kw]: [number, number],
  stride: number,
  dilation: number,
  pad: 'same' | 'valid',
): Geometry {
  const [ekh, ekw] = [(kh - 1) * dilation + 1, (kw - 1) * dilation + 1];
  if (pad === 'valid') {
    const outHeight = Math.floor((h - ekh) / stride) + 1;
    const outWidth = Math.floor((w - ekw) / stride) + 1;
    return { outHeight, outWidth, top: 0, left: 0 };
  }
  const [outHeight, outWidth] = [Math.ceil(h / stride), Math.ceil(w / stride)];
  const padH = Math.max(0, (outHeight - 1) * stride + ekh - h);
  const padW = Math.max(0, (outWidth - 1) * stride + ekw - w);
  return { outHeight, outWidth, top: Math.floor(padH / 2), left: Math.floor(padW / 2) };
}

export interface ConvSpec {
  x: Shape4;
  /** [kh, kw, in, out] (depthwise: [kh, kw, in, multiplier]). */
  kernel: Shape4;
  stride: number;
  dilation: number;
  pad: 'same' | 'valid';
  depthwise?: boolean;
}

/** y, dL/dx and dL/dfilter of a convolution, with L = sum(y * w). */
export function convReference(spec: ConvSpec, x: Float32Array, f: Float32Array, w: Float32Array) {
  const [n, h, wd, cin] = spec.x;
  const [kh, kw, , k4] = spec.kernel;
  const cout = spec.depthwise ? cin * k4 : k4;
  const g = geometry([h, wd], [kh, kw], spec.stride, spec.dilation, spec.pad);
  const y = new Float64Array(n * g.outHeight * g.outWidth * cout);
  const dx = new Float64Array(x.length);
  const df = new Float64Array(f.length);
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < g.outHeight; oy++)
      for (let ox = 0; ox < g.outWidth; ox++)
        for (let o = 0; o < cout; o++) {
          const out = ((b * g.outHeight + oy) * g.outWidth + ox) * cout + o;
          for (let fy = 0; fy < kh; fy++) {
            const iy = oy * spec.stride - g.top + fy * spec.dilation;
            if (iy < 0 || iy >= h) continue;
            for (let fx = 0; fx < kw; fx++) {
              const ix = ox * spec.stride - g.left + fx * spec.dilation;
              if (ix < 0 || ix >= wd) continue;
              const inputs = spec.depthwise ? [Math.floor(o / k4)] : [...Array(cin).keys()];
              for (const i of inputs) {
                const xi = ((b * h + iy) * wd + ix) * cin + i;
                const fi = spec.depthwise
                  ? ((fy * kw + fx) * cin + i) * k4 + (o % k4)
                  : ((fy * kw + fx) * cin + i) * cout + o;
                y[out] += x[xi] * f[fi];
                dx[xi] += w[out] * f[fi];
                df[fi] += w[out] * x[xi];
              }
            }
          }
        }
  return { y, dx, df };
}

export interface PoolSpec {
  x: Shape4;
  size: number;
  stride: number;
  pad: 'same' | 'valid';
}

/** Visits every pooling window: `visit(out, inputs)` with the flat indices of its taps in row-major order. */
function windows(spec: PoolSpec, visit: (out: number, taps: number[]) => void): Geometry {
  const [n, h, wd, c] = spec.x;
  const g = geometry([h, wd], [spec.size, spec.size], spec.stride, 1, spec.pad);
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < g.outHeight; oy++)
      for (let ox = 0; ox < g.outWidth; ox++)
        for (let k = 0; k < c; k++) {
          const taps: number[] = [];
          for (let fy = 0; fy < spec.size; fy++)
            for (let fx = 0; fx < spec.size; fx++) {
              const [iy, ix] = [oy * spec.stride - g.top + fy, ox * spec.stride - g.left + fx];
              if (iy >= 0 && iy < h && ix >= 0 && ix < wd)
                taps.push(((b * h + iy) * wd + ix) * c + k);
            }
          visit(((b * g.outHeight + oy) * g.outWidth + ox) * c + k, taps);
        }
  return g;
}

/** y and dL/dx of max pooling; a tied window's gradient goes to its first maximum. */
export function maxPoolReference(spec: PoolSpec, x: Float32Array, w: Float32Array) {
  const y: number[] = [];
  const dx = new Float64Array(x.length);
  windows(spec, (out, taps) => {
    let at = taps[0];
    for (const t of taps) if (x[t] > x[at]) at = t;
    y[out] = x[at];
    dx[at] += w[out];
  });
  return { y: Float64Array.from(y), dx };
}

/** Windows whose maximum is taken more than once (where a tie rule matters). */
export function countTies(spec: PoolSpec, x: Float32Array): number {
  let ties = 0;
  windows(spec, (_, taps) => {
    const max = Math.max(...taps.map((t) => x[t]));
    if (taps.filter((t) => x[t] === max).length > 1) ties++;
  });
  return ties;
}

/** y and dL/dx of average pooling (padding excluded from the count, as TensorFlow does). */
export function avgPoolReference(spec: PoolSpec, x: Float32Array, w: Float32Array) {
  const y: number[] = [];
  const dx = new Float64Array(x.length);
  windows(spec, (out, taps) => {
    y[out] = taps.reduce((s, t) => s + x[t], 0) / taps.length;
    for (const t of taps) dx[t] += w[out] / taps.length;
  });
  return { y: Float64Array.from(y), dx };
}

/** y and dL/dx of a bilinear resize with half-pixel centres (align corners off). */
export function resizeReference(
  x: Float32Array,
  [n, h, wd, c]: Shape4,
  [oh, ow]: [number, number],
  w: Float32Array,
) {
  const y = new Float64Array(n * oh * ow * c);
  const dx = new Float64Array(x.length);
  const source = (o: number, scale: number, size: number) => {
    const s = Math.max(0, (o + 0.5) * scale - 0.5);
    const lo = Math.min(Math.floor(s), size - 1);
    return [lo, Math.min(lo + 1, size - 1), s - lo] as const;
  };
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++) {
        const [y0, y1, fy] = source(oy, h / oh, h);
        const [x0, x1, fx] = source(ox, wd / ow, wd);
        const taps: [number, number, number][] = [
          [y0, x0, (1 - fy) * (1 - fx)],
          [y0, x1, (1 - fy) * fx],
          [y1, x0, fy * (1 - fx)],
          [y1, x1, fy * fx],
        ];
        for (let k = 0; k < c; k++) {
          const out = ((b * oh + oy) * ow + ox) * c + k;
          for (const [ty, tx, weight] of taps) {
            const i = ((b * h + ty) * wd + tx) * c + k;
            y[out] += weight * x[i];
            dx[i] += weight * w[out];
          }
        }
      }
  return { y, dx };
}

/**
 * numpy's irfft2 of half spectra [n, h, w/2+1] (real, imaginary) and its gradient:
 * img[y][x] = 1/(h w) sum_{ky, kx} c_kx (re cos t - im sin t), t = 2 pi (ky y / h + kx x / w),
 * c = 1 for the DC and Nyquist columns, else 2.
 */
export function irfft2Reference(
  re: Float32Array,
  im: Float32Array,
  [n, h, w]: [number, number, number],
  weights: Float32Array,
) {
  const wf = Math.floor(w / 2) + 1;
  const img = new Float64Array(n * h * w);
  const dre = new Float64Array(re.length);
  const dim = new Float64Array(im.length);
  for (let b = 0; b < n; b++)
    for (let ky = 0; ky < h; ky++)
      for (let kx = 0; kx < wf; kx++) {
        const c = kx === 0 || (w % 2 === 0 && kx === w / 2) ? 1 : 2;
        const k = (b * h + ky) * wf + kx;
        for (let y = 0; y < h; y++)
          for (let x = 0; x < w; x++) {
            const t = 2 * Math.PI * (((ky * y) % h) / h + ((kx * x) % w) / w);
            const [cos, sin] = [(c * Math.cos(t)) / (h * w), (c * Math.sin(t)) / (h * w)];
            const p = (b * h + y) * w + x;
            img[p] += re[k] * cos - im[k] * sin;
            dre[k] += weights[p] * cos;
            dim[k] -= weights[p] * sin;
          }
      }
  return { img, dre, dim };
}

/** softmax over the last axis of [rows, cols] and the gradient of sum(softmax * w). */
export function softmaxReference(z: Float32Array, [rows, cols]: [number, number], w: Float32Array) {
  const p = new Float64Array(z.length);
  const dz = new Float64Array(z.length);
  for (let r = 0; r < rows; r++) {
    const row = Array.from(z.subarray(r * cols, (r + 1) * cols));
    const max = Math.max(...row);
    const e = row.map((v) => Math.exp(v - max));
    const sum = e.reduce((a, b) => a + b, 0);
    const dot = e.reduce((s, v, j) => s + (v / sum) * w[r * cols + j], 0);
    for (let j = 0; j < cols; j++) {
      p[r * cols + j] = e[j] / sum;
      dz[r * cols + j] = (e[j] / sum) * (w[r * cols + j] - dot);
    }
  }
  return { p, dz };
}

/**
 * y and dL/dx of a counter-clockwise rotation about the centre, bilinear, `fill` where the
 * source falls outside the image (pixels on the far side of the border weigh as fill).
 */
export function rotateReference(
  x: Float32Array,
  [n, h, wd, c]: Shape4,
  degrees: number,
  fill: number,
  w: Float32Array,
) {
  const theta = (degrees * Math.PI) / 180;
  const [cy, cx] = [(h - 1) / 2, (wd - 1) / 2];
  const y = new Float64Array(x.length);
  const dx = new Float64Array(x.length);
  for (let oy = 0; oy < h; oy++)
    for (let ox = 0; ox < wd; ox++) {
      const sx = Math.cos(theta) * (ox - cx) - Math.sin(theta) * (oy - cy) + cx;
      const sy = Math.sin(theta) * (ox - cx) + Math.cos(theta) * (oy - cy) + cy;
      const [x0, y0] = [Math.floor(sx), Math.floor(sy)];
      const corners: [number, number, number][] = [
        [y0, x0, (1 - (sy - y0)) * (1 - (sx - x0))],
        [y0, x0 + 1, (1 - (sy - y0)) * (sx - x0)],
        [y0 + 1, x0, (sy - y0) * (1 - (sx - x0))],
        [y0 + 1, x0 + 1, (sy - y0) * (sx - x0)],
      ];
      for (let b = 0; b < n; b++)
        for (let k = 0; k < c; k++) {
          const out = ((b * h + oy) * wd + ox) * c + k;
          for (const [ty, tx, weight] of corners) {
            if (ty < 0 || ty >= h || tx < 0 || tx >= wd) {
              y[out] += weight * fill;
              continue;
            }
            const i = ((b * h + ty) * wd + tx) * c + k;
            y[out] += weight * x[i];
            dx[i] += weight * w[out];
          }
        }
    }
  return { y, dx };
}
