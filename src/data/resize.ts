// torchvision's eval transform for a user's image: Resize(size) (shorter side to `size`, the longer
// one int(size·long/short)) then CenterCrop(size). The resampling is torch's antialiased bilinear
// (F.interpolate(mode='bilinear', antialias=True, align_corners=False), what torchvision's Resize
// does on tensors): a triangle filter widened by the scale when shrinking, computed in float64 and
// rounded to uint8 once at the end. PIL's bilinear differs by at most 1 level (it rounds between
// the two passes). Only the cropped output pixels are computed.
import type { RgbImage } from './augment.js';

/** torchvision's output size for Resize(size) with an int size: the shorter side becomes `size`. */
export function resizedSize(width: number, height: number, size: number): { width: number; height: number } {
  if (width <= height) return { width: size, height: Math.trunc((size * height) / width) };
  return { width: Math.trunc((size * width) / height), height: size };
}

/** Python's round() and torch.round: half to even (CenterCrop's offset, the uint8 result). */
const roundHalfEven = (x: number) => {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
};

/** Filter taps of one output axis: for output i, weights over input [start[i], start[i] + count[i]). */
interface Taps {
  readonly start: Int32Array;
  readonly count: Int32Array;
  readonly weights: Float64Array; // stride = maxCount
  readonly stride: number;
}

/** torch's _upsample_bilinear2d_aa weights (from PIL's ImagingResample) for outputs [first, first + n) of an axis inSize → outSize. */
function taps(inSize: number, outSize: number, first: number, n: number): Taps {
  const scale = inSize / outSize;
  const support = scale >= 1 ? scale : 1;
  const invScale = scale >= 1 ? 1 / scale : 1;
  const stride = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(n);
  const count = new Int32Array(n);
  const weights = new Float64Array(n * stride);
  for (let k = 0; k < n; k++) {
    const center = scale * (first + k + 0.5);
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const size = Math.min(Math.trunc(center + support + 0.5), inSize) - lo;
    let total = 0;
    for (let j = 0; j < size; j++) {
      const x = Math.abs((j + lo - center + 0.5) * invScale);
      const w = x < 1 ? 1 - x : 0;
      weights[k * stride + j] = w;
      total += w;
    }
    if (total !== 0) for (let j = 0; j < size; j++) weights[k * stride + j] /= total;
    start[k] = lo;
    count[k] = size;
  }
  return { start, count, weights, stride };
}

/** Resize(size) + CenterCrop(size) of an RGB image: a size×size RGB image. */
export function resizeCenterCrop(img: RgbImage, size: number): RgbImage {
  const out = resizedSize(img.width, img.height, size);
  const left = roundHalfEven((out.width - size) / 2);
  const top = roundHalfEven((out.height - size) / 2);
  const tx = taps(img.width, out.width, left, size);
  const ty = taps(img.height, out.height, top, size);
  // horizontal pass over the input rows the vertical taps read, then the vertical pass
  const rowLo = ty.start[0];
  const rowHi = ty.start[size - 1] + ty.count[size - 1];
  const mid = new Float64Array((rowHi - rowLo) * size * 3);
  const src = img.data;
  for (let y = rowLo; y < rowHi; y++) {
    for (let i = 0; i < size; i++) {
      let r = 0;
      let g = 0;
      let b = 0;
      const base = i * tx.stride;
      for (let j = 0; j < tx.count[i]; j++) {
        const w = tx.weights[base + j];
        const s = (y * img.width + tx.start[i] + j) * 3;
        r += w * src[s];
        g += w * src[s + 1];
        b += w * src[s + 2];
      }
      const d = ((y - rowLo) * size + i) * 3;
      mid[d] = r;
      mid[d + 1] = g;
      mid[d + 2] = b;
    }
  }
  const data = new Uint8Array(size * size * 3);
  for (let k = 0; k < size; k++) {
    const base = k * ty.stride;
    for (let i = 0; i < size; i++) {
      for (let c = 0; c < 3; c++) {
        let v = 0;
        for (let j = 0; j < ty.count[k]; j++) v += ty.weights[base + j] * mid[((ty.start[k] + j - rowLo) * size + i) * 3 + c];
        data[(k * size + i) * 3 + c] = Math.min(255, Math.max(0, roundHalfEven(v)));
      }
    }
  }
  return { width: size, height: size, data };
}
