/**
 * Resamplings as data: every transform of the image side (pad, crop, bilinear resize,
 * rotation) is an affine map from input pixels to output pixels in which each output pixel is
 * a weighted sum of a few input pixels plus a constant (the fill). Written as tables of taps,
 * the same maps can be composed, transposed (their gradient) and handed to a native engine,
 * which then runs the whole image side of a step without TF.js. The taps follow TF.js' own
 * kernels exactly (resizeBilinear with half-pixel centres, the gather-based rotation), so a
 * run gives the same numbers on either path.
 */

/** out[p] = sum_k weight[k * n + p] * in[index[k * n + p]] + constant[p], per channel. */
export interface SparseMap {
  inHeight: number;
  inWidth: number;
  outHeight: number;
  outWidth: number;
  /** Taps per output pixel (unused taps have weight 0 and index 0). */
  taps: number;
  /** [taps, outHeight * outWidth], row-major. */
  index: Int32Array;
  weight: Float32Array;
  /** [outHeight * outWidth]. */
  constant: Float32Array;
}

/** An empty map with `taps` taps per output pixel (all weights 0). */
function blank(
  inHeight: number,
  inWidth: number,
  outHeight: number,
  outWidth: number,
  taps: number,
) {
  const n = outHeight * outWidth;
  return {
    inHeight,
    inWidth,
    outHeight,
    outWidth,
    taps,
    index: new Int32Array(taps * n),
    weight: new Float32Array(taps * n),
    constant: new Float32Array(n),
  };
}

/** Pads every side with `value` (tf.pad). */
export function padMap(h: number, w: number, pixels: number, value: number): SparseMap {
  const [outH, outW] = [h + 2 * pixels, w + 2 * pixels];
  const map = blank(h, w, outH, outW, 1);
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      const [p, sy, sx] = [y * outW + x, y - pixels, x - pixels];
      if (sy >= 0 && sy < h && sx >= 0 && sx < w) {
        map.index[p] = sy * w + sx;
        map.weight[p] = 1;
      } else map.constant[p] = value;
    }
  }
  return map;
}

/** The window of `outH` x `outW` pixels at (dy, dx) (tf.slice). */
export function cropMap(
  h: number,
  w: number,
  dy: number,
  dx: number,
  outH: number,
  outW: number,
): SparseMap {
  const map = blank(h, w, outH, outW, 1);
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) map.index[y * outW + x] = (y + dy) * w + (x + dx);
  }
  map.weight.fill(1);
  return map;
}

/** Source rows (or columns) and weights of a half-pixel bilinear resize, as TF.js' kernel. */
function resizeAxis(size: number, outSize: number, i: number) {
  const source = (size / outSize) * (i + 0.5) - 0.5;
  const lo = Math.max(0, Math.floor(source));
  return { lo, hi: Math.min(size - 1, Math.ceil(source)), frac: source - lo };
}

/** tf.image.resizeBilinear(image, [outH, outW], false, true), as in TF.js' CPU kernel. */
export function resizeMap(h: number, w: number, outH: number, outW: number): SparseMap {
  const map = blank(h, w, outH, outW, 4);
  const n = outH * outW;
  const columns = Array.from({ length: outW }, (_, x) => resizeAxis(w, outW, x));
  for (let y = 0; y < outH; y++) {
    const r = resizeAxis(h, outH, y);
    for (let x = 0; x < outW; x++) {
      const c = columns[x];
      const p = y * outW + x;
      set(map, n, p, 0, r.lo * w + c.lo, (1 - r.frac) * (1 - c.frac));
      set(map, n, p, 1, r.lo * w + c.hi, (1 - r.frac) * c.frac);
      set(map, n, p, 2, r.hi * w + c.lo, r.frac * (1 - c.frac));
      set(map, n, p, 3, r.hi * w + c.hi, r.frac * c.frac);
    }
  }
  return map;
}

/** Tap `k` of output pixel `p` (of `n`). */
function set(map: SparseMap, n: number, p: number, k: number, index: number, weight: number) {
  map.index[k * n + p] = index;
  map.weight[k * n + p] = weight;
}

/**
 * Rotation by `degrees` (counter-clockwise) about the centre with bilinear sampling; output
 * pixels whose sources lie outside take `fill` for the missing weight.
 */
export function rotateMap(h: number, w: number, degrees: number, fill: number): SparseMap {
  const theta = (degrees * Math.PI) / 180;
  const [cos, sin] = [Math.cos(theta), Math.sin(theta)];
  const [cy, cx] = [(h - 1) / 2, (w - 1) / 2];
  const map = blank(h, w, h, w, 4);
  const n = h * w;
  const inside = (yy: number, xx: number) => yy >= 0 && yy < h && xx >= 0 && xx < w;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = y * w + x;
      // Inverse map: where in the input this output pixel comes from.
      const sx = cos * (x - cx) - sin * (y - cy) + cx;
      const sy = sin * (x - cx) + cos * (y - cy) + cy;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      let covered = 0;
      // The four corners (y0, x0), (y0, x0 + 1), (y0 + 1, x0), (y0 + 1, x0 + 1).
      for (let k = 0; k < 4; k++) {
        const [yy, xx] = [y0 + (k >> 1), x0 + (k & 1)];
        if (!inside(yy, xx)) continue;
        const weight = (k >> 1 ? fy : 1 - fy) * (k & 1 ? fx : 1 - fx);
        set(map, n, p, k, yy * w + xx, weight);
        covered += weight;
      }
      map.constant[p] = fill * (1 - covered);
    }
  }
  return map;
}

/** `second` after `first` as one map: taps multiply out (first.taps * second.taps). */
export function composeMaps(first: SparseMap, second: SparseMap): SparseMap {
  if (second.inHeight !== first.outHeight || second.inWidth !== first.outWidth) {
    throw new Error('composeMaps: sizes do not chain');
  }
  const taps = first.taps * second.taps;
  const map = blank(first.inHeight, first.inWidth, second.outHeight, second.outWidth, taps);
  const n = second.outHeight * second.outWidth;
  const nMid = first.outHeight * first.outWidth;
  for (let p = 0; p < n; p++) {
    let c = second.constant[p];
    for (let k = 0; k < second.taps; k++) {
      const [q, w] = [second.index[k * n + p], second.weight[k * n + p]];
      c += w * first.constant[q];
      for (let j = 0; j < first.taps; j++) {
        const t = (k * first.taps + j) * n + p;
        map.index[t] = first.index[j * nMid + q];
        map.weight[t] = w * first.weight[j * nMid + q];
      }
    }
    map.constant[p] = c;
  }
  return map;
}

/**
 * The transposed taps (the map's gradient): for each input pixel, the output pixels it feeds
 * and their weights, as a map from outputs to inputs with no constant.
 */
export function transposeMap(map: SparseMap): SparseMap {
  const nIn = map.inHeight * map.inWidth;
  const n = map.outHeight * map.outWidth;
  const count = new Int32Array(nIn);
  const total = map.taps * n;
  for (let t = 0; t < total; t++) if (map.weight[t] !== 0) count[map.index[t]]++;
  let taps = 1;
  for (let i = 0; i < nIn; i++) taps = Math.max(taps, count[i]);
  const out = blank(map.outHeight, map.outWidth, map.inHeight, map.inWidth, taps);
  count.fill(0);
  for (let t = 0; t < total; t++) {
    const w = map.weight[t];
    if (w === 0) continue;
    const i = map.index[t];
    const slot = count[i]++ * nIn + i;
    out.index[slot] = t % n;
    out.weight[slot] = w;
  }
  return out;
}

/**
 * Chains maps, folding neighbours into one while the result keeps at most `maxTaps` taps
 * (shifts and crops fold into the resampling next to them).
 */
export function foldMaps(maps: SparseMap[], maxTaps = 4): SparseMap[] {
  const folded: SparseMap[] = [];
  for (const map of maps) {
    const last = folded[folded.length - 1];
    if (last && last.taps * map.taps <= maxTaps) folded[folded.length - 1] = composeMaps(last, map);
    else folded.push(map);
  }
  return folded;
}

// Maps that depend on sizes only (pads, resizes and their transposes: a run sees a few dozen)
// are built once and reused; a map is never modified after it is built.
const built = new Map<string, SparseMap>();

/** The map called `key`, built by `build` on first use (at most 64 kept). */
export function memoMap(key: string, build: () => SparseMap): SparseMap {
  let map = built.get(key);
  if (!map) {
    if (built.size >= 64) built.clear();
    map = build();
    built.set(key, map);
  }
  return map;
}

/** Applies a map to NHWC images (plain arrays; for tests and small work). */
export function applyMap(map: SparseMap, images: Float32Array, batch: number, channels: number) {
  const nIn = map.inHeight * map.inWidth;
  const n = map.outHeight * map.outWidth;
  const out = new Float32Array(batch * n * channels);
  for (let b = 0; b < batch; b++) {
    for (let p = 0; p < n; p++) {
      for (let c = 0; c < channels; c++) {
        let v = map.constant[p];
        for (let k = 0; k < map.taps; k++) {
          v += map.weight[k * n + p] * images[(b * nIn + map.index[k * n + p]) * channels + c];
        }
        out[(b * n + p) * channels + c] = v;
      }
    }
  }
  return out;
}
