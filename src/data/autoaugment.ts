// AutoAugment CIFAR10Policy (Cubuk et al. 2018) as in the widely used PyTorch
// recipe (DeepVoltaire/AutoAugment, autoaugment.py + ops.py), with every op
// reimplemented on HWC uint8 RGB images to reproduce Pillow's arithmetic:
// float32 blending with truncation, fixed-point nearest rotation, PIL's own
// bicubic (a = -1) for shears, and its LUT-based ImageOps.

import { remapPixels, type RgbImage } from './augment.js';
import type { Rng } from './rng.js';

const f32 = Math.fround;

/** Fill colour for areas uncovered by shear/translate/rotate. */
export const FILL: readonly [number, number, number] = [128, 128, 128];

export type OpName =
  | 'shearX' | 'shearY' | 'translateX' | 'translateY' | 'rotate'
  | 'color' | 'posterize' | 'solarize' | 'contrast' | 'sharpness' | 'brightness'
  | 'autocontrast' | 'equalize' | 'invert';

/** numpy.linspace(start, stop, num): i * ((stop - start) / (num - 1)) + start, last = stop. */
export function linspace(start: number, stop: number, num: number): number[] {
  const step = (stop - start) / (num - 1);
  const out: number[] = [];
  for (let i = 0; i < num; i++) out.push(i === num - 1 ? stop : i * step + start);
  return out;
}

/** The reference's magnitude tables, indexed by magnitude index 0..9. */
export const MAGNITUDES: Readonly<Record<OpName, readonly number[]>> = {
  shearX: linspace(0, 0.3, 10),
  shearY: linspace(0, 0.3, 10),
  translateX: linspace(0, 150 / 331, 10),
  translateY: linspace(0, 150 / 331, 10),
  rotate: linspace(0, 30, 10),
  color: linspace(0, 0.9, 10),
  // np.round(np.linspace(8, 4, 10), 0).astype(int); no value sits on a .5 tie.
  posterize: linspace(8, 4, 10).map((v) => Math.round(v)),
  solarize: linspace(256, 0, 10),
  contrast: linspace(0, 0.9, 10),
  sharpness: linspace(0, 0.9, 10),
  brightness: linspace(0, 0.9, 10),
  autocontrast: new Array<number>(10).fill(0),
  equalize: new Array<number>(10).fill(0),
  invert: new Array<number>(10).fill(0),
};

/** Ops whose magnitude gets a random sign (random.choice([-1, 1])) in the reference. */
export const SIGNED_OPS: ReadonlySet<OpName> = new Set<OpName>([
  'shearX', 'shearY', 'translateX', 'translateY', 'rotate', 'color', 'contrast', 'sharpness', 'brightness',
]);

/** One sub-policy: (probability, op, magnitude index) twice. */
export type SubPolicy = readonly [p1: number, op1: OpName, m1: number, p2: number, op2: OpName, m2: number];

/** The 25 CIFAR-10 sub-policies, in the reference's order. */
export const CIFAR10_POLICY: readonly SubPolicy[] = [
  [0.1, 'invert', 7, 0.2, 'contrast', 6],
  [0.7, 'rotate', 2, 0.3, 'translateX', 9],
  [0.8, 'sharpness', 1, 0.9, 'sharpness', 3],
  [0.5, 'shearY', 8, 0.7, 'translateY', 9],
  [0.5, 'autocontrast', 8, 0.9, 'equalize', 2],

  [0.2, 'shearY', 7, 0.3, 'posterize', 7],
  [0.4, 'color', 3, 0.6, 'brightness', 7],
  [0.3, 'sharpness', 9, 0.7, 'brightness', 9],
  [0.6, 'equalize', 5, 0.5, 'equalize', 1],
  [0.6, 'contrast', 7, 0.6, 'sharpness', 5],

  [0.7, 'color', 7, 0.5, 'translateX', 8],
  [0.3, 'equalize', 7, 0.4, 'autocontrast', 8],
  [0.4, 'translateY', 3, 0.2, 'sharpness', 6],
  [0.9, 'brightness', 6, 0.2, 'color', 8],
  [0.5, 'solarize', 2, 0.0, 'invert', 3],

  [0.2, 'equalize', 0, 0.6, 'autocontrast', 0],
  [0.2, 'equalize', 8, 0.6, 'equalize', 4],
  [0.9, 'color', 9, 0.6, 'equalize', 6],
  [0.8, 'autocontrast', 4, 0.2, 'solarize', 8],
  [0.1, 'brightness', 3, 0.7, 'color', 0],

  [0.4, 'solarize', 5, 0.9, 'autocontrast', 3],
  [0.9, 'translateY', 9, 0.7, 'translateY', 9],
  [0.9, 'autocontrast', 2, 0.8, 'solarize', 3],
  [0.8, 'equalize', 8, 0.1, 'invert', 3],
  [0.7, 'translateY', 9, 0.9, 'autocontrast', 1],
];

// ---------------------------------------------------------------- helpers

function copyImage(img: RgbImage): RgbImage {
  return { width: img.width, height: img.height, data: img.data.slice() };
}

function filled(img: RgbImage, fill: readonly number[]): Uint8Array {
  const out = new Uint8Array(img.data.length);
  for (let i = 0; i < out.length; i += 3) {
    out[i] = fill[0];
    out[i + 1] = fill[1];
    out[i + 2] = fill[2];
  }
  return out;
}

/** A 256-entry table clipped to 0..255 like Image.point does with integer LUTs. */
function lutOf(f: (i: number) => number): Uint8Array {
  const lut = new Uint8Array(256);
  for (let i = 0; i < 256; i++) {
    const v = f(i);
    lut[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  return lut;
}

const IDENTITY = lutOf((i) => i);

/** Applies one 256-entry LUT per channel. */
function applyLuts(img: RgbImage, r: Uint8Array, g: Uint8Array, b: Uint8Array): RgbImage {
  const src = img.data;
  const out = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i += 3) {
    out[i] = r[src[i]];
    out[i + 1] = g[src[i + 1]];
    out[i + 2] = b[src[i + 2]];
  }
  return { width: img.width, height: img.height, data: out };
}

function channelHistograms(img: RgbImage): Uint32Array[] {
  const h = [new Uint32Array(256), new Uint32Array(256), new Uint32Array(256)];
  const d = img.data;
  for (let i = 0; i < d.length; i += 3) {
    h[0][d[i]]++;
    h[1][d[i + 1]]++;
    h[2][d[i + 2]]++;
  }
  return h;
}

/** PIL RGB -> L: (R*19595 + G*38470 + B*7471 + 0x8000) >> 16 (Convert.c, L24). */
export function luma(r: number, g: number, b: number): number {
  return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;
}

// ---------------------------------------------------------------- blending

/**
 * Image.blend(degenerate, image, factor), as ImagingBlend computes it: alpha is
 * cast to float32, out = in1 + alpha * (in2 - in1) in float32, truncated to an
 * integer; when alpha is outside [0, 1] the result is clipped to 0..255 first.
 */
export function blend(degenerate: RgbImage, image: RgbImage, factor: number): RgbImage {
  const alpha = f32(factor);
  if (alpha === 0) return copyImage(degenerate);
  if (alpha === 1) return copyImage(image);
  const a = degenerate.data;
  const b = image.data;
  const out = new Uint8Array(a.length);
  if (alpha >= 0 && alpha <= 1) {
    for (let i = 0; i < a.length; i++) out[i] = f32(a[i] + f32(alpha * (b[i] - a[i])));
  } else {
    for (let i = 0; i < a.length; i++) {
      const t = f32(a[i] + f32(alpha * (b[i] - a[i])));
      out[i] = t <= 0 ? 0 : t >= 255 ? 255 : t; // Uint8Array store truncates the in-range value
    }
  }
  return { width: image.width, height: image.height, data: out };
}

/** ImageEnhance.Color: blend with the image's grayscale (L) version. */
export function color(img: RgbImage, factor: number): RgbImage {
  const d = img.data;
  const g = new Uint8Array(d.length);
  for (let i = 0; i < d.length; i += 3) {
    const l = luma(d[i], d[i + 1], d[i + 2]);
    g[i] = l;
    g[i + 1] = l;
    g[i + 2] = l;
  }
  return blend({ width: img.width, height: img.height, data: g }, img, factor);
}

/** ImageEnhance.Contrast: blend with a flat image of int(mean(L) + 0.5). */
export function contrast(img: RgbImage, factor: number): RgbImage {
  const d = img.data;
  const hist = new Float64Array(256);
  for (let i = 0; i < d.length; i += 3) hist[luma(d[i], d[i + 1], d[i + 2])]++;
  // ImageStat: sum over the histogram in float, then sum / count.
  let sum = 0;
  let count = 0;
  for (let j = 0; j < 256; j++) {
    sum += j * hist[j];
    count += hist[j];
  }
  const mean = Math.trunc(sum / count + 0.5);
  return blend({ width: img.width, height: img.height, data: new Uint8Array(d.length).fill(mean) }, img, factor);
}

/** ImageEnhance.Brightness: blend with black. */
export function brightness(img: RgbImage, factor: number): RgbImage {
  return blend({ width: img.width, height: img.height, data: new Uint8Array(img.data.length) }, img, factor);
}

const K_EDGE = f32(f32(1) / f32(13));
const K_CENTER = f32(f32(5) / f32(13));

/**
 * ImageFilter.SMOOTH (3x3 kernel [1 1 1; 1 5 1; 1 1 1] / 13) as ImagingFilter3x3
 * runs it: float32 accumulation starting at offset 0.5 (for rounding), rows
 * y+1, y, y-1 in that order, truncation; the one-pixel border is copied.
 * Images smaller than 3x3 come back unchanged.
 */
export function smooth(img: RgbImage): RgbImage {
  const { width: w, height: h, data: src } = img;
  const out = src.slice();
  if (w < 3 || h < 3) return { width: w, height: h, data: out };
  const row = (y: number, x: number, c: number, k0: number, k1: number, k2: number): number => {
    const i = (y * w + x) * 3 + c;
    return f32(f32(f32(src[i - 3] * k0) + f32(src[i] * k1)) + f32(src[i + 3] * k2));
  };
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      for (let c = 0; c < 3; c++) {
        let ss = f32(0.5);
        ss = f32(ss + row(y + 1, x, c, K_EDGE, K_EDGE, K_EDGE));
        ss = f32(ss + row(y, x, c, K_EDGE, K_CENTER, K_EDGE));
        ss = f32(ss + row(y - 1, x, c, K_EDGE, K_EDGE, K_EDGE));
        out[(y * w + x) * 3 + c] = ss <= 0 ? 0 : ss >= 255 ? 255 : ss;
      }
    }
  }
  return { width: w, height: h, data: out };
}

/** ImageEnhance.Sharpness: blend with the SMOOTH-filtered image. */
export function sharpness(img: RgbImage, factor: number): RgbImage {
  return blend(smooth(img), img, factor);
}

// ---------------------------------------------------------------- LUT ops

/** ImageOps.posterize: keep the top `bits` bits of each channel. */
export function posterize(img: RgbImage, bits: number): RgbImage {
  const mask = ~(2 ** (8 - bits) - 1) & 0xff;
  const lut = lutOf((i) => i & mask);
  return applyLuts(img, lut, lut, lut);
}

/** ImageOps.solarize: invert values >= threshold. */
export function solarize(img: RgbImage, threshold: number): RgbImage {
  const lut = lutOf((i) => (i < threshold ? i : 255 - i));
  return applyLuts(img, lut, lut, lut);
}

/** ImageOps.invert. */
export function invert(img: RgbImage): RgbImage {
  const lut = lutOf((i) => 255 - i);
  return applyLuts(img, lut, lut, lut);
}

/** ImageOps.autocontrast(cutoff=0): per channel, stretch [lo, hi] to [0, 255] with int() truncation. */
export function autocontrast(img: RgbImage): RgbImage {
  const luts = channelHistograms(img).map((h) => {
    let lo = 0;
    while (lo < 255 && !h[lo]) lo++;
    let hi = 255;
    while (hi > 0 && !h[hi]) hi--;
    if (hi <= lo) return IDENTITY;
    const scale = 255.0 / (hi - lo);
    const offset = -lo * scale;
    return lutOf((i) => Math.trunc(i * scale + offset));
  });
  return applyLuts(img, luts[0], luts[1], luts[2]);
}

/**
 * ImageOps.equalize: per channel, step = (sum of non-zero bins except the last
 * one) // 255; lut[i] = (step // 2 + count below i) // step, clipped by point().
 * Channels with a single value (or step 0) are left as they are.
 */
export function equalize(img: RgbImage): RgbImage {
  const luts = channelHistograms(img).map((h) => {
    let total = 0;
    let last = 0;
    let used = 0;
    for (let i = 0; i < 256; i++) {
      if (h[i]) {
        total += h[i];
        last = h[i];
        used++;
      }
    }
    if (used <= 1) return IDENTITY;
    const step = Math.floor((total - last) / 255);
    if (!step) return IDENTITY;
    let n = Math.floor(step / 2);
    const lut = new Uint8Array(256);
    for (let i = 0; i < 256; i++) {
      const v = Math.floor(n / step);
      lut[i] = v > 255 ? 255 : v; // point() clips
      n += h[i];
    }
    return lut;
  });
  return applyLuts(img, luts[0], luts[1], luts[2]);
}

// ---------------------------------------------------------------- geometry

/** Affine coefficients (a, b, c, d, e, f): output pixel centre (x, y) samples input (a x + b y + c, d x + e y + f). */
export type Affine = readonly [number, number, number, number, number, number];

/**
 * Image.transform(AFFINE, coeffs, NEAREST, fillcolor): the two C paths Pillow
 * takes for nearest sampling. Pure scale/translation (b = d = 0) goes through
 * ImagingScaleAffine (double positions, COORD truncation); anything else
 * through affine_fixed (16.16 fixed point, arithmetic shift).
 */
export function affineNearest(img: RgbImage, a: Affine, fill: readonly number[] = FILL): RgbImage {
  const { width: w, height: h, data: src } = img;
  const out = filled(img, fill);
  const coord = (v: number): number => (v < 0 ? -1 : Math.trunc(v));
  if (a[1] === 0 && a[3] === 0) {
    const xin = new Int32Array(w);
    let xo = a[2] + a[0] * 0.5;
    for (let x = 0; x < w; x++) {
      xin[x] = coord(xo);
      xo += a[0];
    }
    let yo = a[5] + a[4] * 0.5;
    for (let y = 0; y < h; y++) {
      const yi = coord(yo);
      yo += a[4];
      if (yi < 0 || yi >= h) continue;
      for (let x = 0; x < w; x++) {
        const xi = xin[x];
        if (xi < 0 || xi >= w) continue;
        const s = (yi * w + xi) * 3;
        const d = (y * w + x) * 3;
        out[d] = src[s];
        out[d + 1] = src[s + 1];
        out[d + 2] = src[s + 2];
      }
    }
  } else {
    const fix = (v: number): number => Math.floor(v * 65536.0 + 0.5);
    const a0 = fix(a[0]);
    const a1 = fix(a[1]);
    const a3 = fix(a[3]);
    const a4 = fix(a[4]);
    let a2 = fix(a[2] + a[0] * 0.5 + a[1] * 0.5);
    let a5 = fix(a[5] + a[3] * 0.5 + a[4] * 0.5);
    for (let y = 0; y < h; y++) {
      let xx = a2;
      let yy = a5;
      for (let x = 0; x < w; x++) {
        const xi = xx >> 16;
        const yi = yy >> 16;
        if (xi >= 0 && xi < w && yi >= 0 && yi < h) {
          const s = (yi * w + xi) * 3;
          const d = (y * w + x) * 3;
          out[d] = src[s];
          out[d + 1] = src[s + 1];
          out[d + 2] = src[s + 2];
        }
        xx = (xx + a0) | 0;
        yy = (yy + a3) | 0;
      }
      a2 = (a2 + a1) | 0;
      a5 = (a5 + a4) | 0;
    }
  }
  return { width: w, height: h, data: out };
}

/** One step of Pillow's transform BICUBIC (a = -1 cubic convolution) at fraction d. */
function cubic(v1: number, v2: number, v3: number, v4: number, d: number): number {
  const p1 = v2;
  const p2 = -v1 + v3;
  const p3 = 2 * (v1 - v2) + v3 - v4;
  const p4 = -v1 + v2 - v3 + v4;
  return p1 + d * (p2 + d * (p3 + d * p4));
}

/**
 * Image.transform(AFFINE, coeffs, BICUBIC, fillcolor) as ImagingGenericTransform
 * with bicubic_filter32RGB: a sample point outside [0, w) x [0, h) gets the
 * fill; inside, the 4x4 neighbourhood is clamped at the edges, computed in
 * double and truncated after clipping.
 */
export function affineBicubic(img: RgbImage, a: Affine, fill: readonly number[] = FILL): RgbImage {
  const { width: w, height: h, data: src } = img;
  const out = filled(img, fill);
  const clampX = (x: number): number => (x < 0 ? 0 : x < w ? x : w - 1);
  const clampY = (y: number): number => (y < 0 ? 0 : y < h ? y : h - 1);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let xin = a[0] * (x + 0.5) + a[1] * (y + 0.5) + a[2];
      let yin = a[3] * (x + 0.5) + a[4] * (y + 0.5) + a[5];
      if (xin < 0 || xin >= w || yin < 0 || yin >= h) continue;
      xin -= 0.5;
      yin -= 0.5;
      const fx = Math.floor(xin);
      const fy = Math.floor(yin);
      const dx = xin - fx;
      const dy = yin - fy;
      const x0 = clampX(fx - 1) * 3;
      const x1 = clampX(fx) * 3;
      const x2 = clampX(fx + 1) * 3;
      const x3 = clampX(fx + 2) * 3;
      const r0 = clampY(fy - 1) * w * 3;
      const r1 = clampY(fy) * w * 3;
      const r2 = clampY(fy + 1) * w * 3;
      const r3 = clampY(fy + 2) * w * 3;
      const d = (y * w + x) * 3;
      for (let c = 0; c < 3; c++) {
        const v1 = cubic(src[r0 + x0 + c], src[r0 + x1 + c], src[r0 + x2 + c], src[r0 + x3 + c], dx);
        const v2 = cubic(src[r1 + x0 + c], src[r1 + x1 + c], src[r1 + x2 + c], src[r1 + x3 + c], dx);
        const v3 = cubic(src[r2 + x0 + c], src[r2 + x1 + c], src[r2 + x2 + c], src[r2 + x3 + c], dx);
        const v4 = cubic(src[r3 + x0 + c], src[r3 + x1 + c], src[r3 + x2 + c], src[r3 + x3 + c], dx);
        const v = cubic(v1, v2, v3, v4, dy);
        out[d + c] = v <= 0 ? 0 : v >= 255 ? 255 : v;
      }
    }
  }
  return { width: w, height: h, data: out };
}

/** ShearX (reference: transform AFFINE (1, m, 0, 0, 1, 0), BICUBIC, gray fill). */
export function shearX(img: RgbImage, m: number, fill: readonly number[] = FILL): RgbImage {
  return affineBicubic(img, [1, m, 0, 0, 1, 0], fill);
}

/** ShearY (reference: transform AFFINE (1, 0, 0, m, 1, 0), BICUBIC, gray fill). */
export function shearY(img: RgbImage, m: number, fill: readonly number[] = FILL): RgbImage {
  return affineBicubic(img, [1, 0, 0, m, 1, 0], fill);
}

/** TranslateX by `pixels` (reference: AFFINE (1, 0, m * width, 0, 1, 0), NEAREST, gray fill). */
export function translateX(img: RgbImage, pixels: number, fill: readonly number[] = FILL): RgbImage {
  return affineNearest(img, [1, 0, pixels, 0, 1, 0], fill);
}

/** TranslateY by `pixels` (reference: AFFINE (1, 0, 0, 0, 1, m * height), NEAREST, gray fill). */
export function translateY(img: RgbImage, pixels: number, fill: readonly number[] = FILL): RgbImage {
  return affineNearest(img, [1, 0, 0, 0, 1, pixels], fill);
}

/** Python's round(x, 15): correctly rounded decimal rounding (toFixed works on the exact binary value). */
function round15(x: number): number {
  return Number(x.toFixed(15));
}

/** Image.transpose ROTATE_90 / ROTATE_180 / ROTATE_270 (counter-clockwise). */
function rotateQuarter(img: RgbImage, quarters: 1 | 2 | 3): RgbImage {
  const { width: w, height: h } = img;
  if (quarters === 1) return remapPixels(img, h, w, (x, y) => x * w + (w - 1 - y));
  if (quarters === 2) return remapPixels(img, w, h, (x, y) => (h - 1 - y) * w + (w - 1 - x));
  return remapPixels(img, h, w, (x, y) => (h - 1 - x) * w + y);
}

/**
 * The reference's rotate: img.convert("RGBA").rotate(deg) (NEAREST, about the
 * centre, counter-clockwise for positive deg) composited over gray, i.e. pixels
 * whose source falls outside the image become `fill`.
 */
export function rotate(img: RgbImage, degrees: number, fill: readonly number[] = FILL): RgbImage {
  const { width: w, height: h } = img;
  let angle = degrees % 360.0; // Python's float modulo takes the divisor's sign
  if (angle !== 0 && angle < 0) angle += 360.0;
  if (angle === 0) return copyImage(img);
  if (angle === 180) return rotateQuarter(img, 2);
  if ((angle === 90 || angle === 270) && w === h) return rotateQuarter(img, angle === 90 ? 1 : 3);
  const rad = -(angle * (Math.PI / 180));
  const m: [number, number, number, number, number, number] = [round15(Math.cos(rad)), round15(Math.sin(rad)), 0.0, round15(-Math.sin(rad)), round15(Math.cos(rad)), 0.0];
  const cx = w / 2;
  const cy = h / 2;
  m[2] = m[0] * -cx + m[1] * -cy + m[2] + cx;
  m[5] = m[3] * -cx + m[4] * -cy + m[5] + cy;
  return affineNearest(img, m, fill);
}

// ---------------------------------------------------------------- policy

/** Applies one op with an already signed magnitude (as the reference's op functions see it after the sign draw). */
export function applyOp(img: RgbImage, op: OpName, magnitude: number, fill: readonly number[] = FILL): RgbImage {
  switch (op) {
    case 'shearX': return shearX(img, magnitude, fill);
    case 'shearY': return shearY(img, magnitude, fill);
    case 'translateX': return translateX(img, magnitude * img.width, fill);
    case 'translateY': return translateY(img, magnitude * img.height, fill);
    case 'rotate': return rotate(img, magnitude, fill);
    case 'color': return color(img, 1 + magnitude);
    case 'posterize': return posterize(img, magnitude);
    case 'solarize': return solarize(img, magnitude);
    case 'contrast': return contrast(img, 1 + magnitude);
    case 'sharpness': return sharpness(img, 1 + magnitude);
    case 'brightness': return brightness(img, 1 + magnitude);
    case 'autocontrast': return autocontrast(img);
    case 'equalize': return equalize(img);
    case 'invert': return invert(img);
  }
}

/** The random decisions of one CIFAR10Policy call. */
export interface PolicyPlan {
  /** Index into CIFAR10_POLICY. */
  readonly index: number;
  /** The ops that fire, in order, with their half (0 or 1) of the sub-policy and signed magnitude. */
  readonly ops: readonly { readonly half: 0 | 1; readonly op: OpName; readonly magnitude: number }[];
}

/**
 * Draws a plan in the reference's order: sub-policy = randint(0, 24); then for
 * each half, u < p, and only if it fires, the sign (choice of [-1, 1]).
 */
export function samplePolicy(rng: Rng): PolicyPlan {
  const index = rng.int(CIFAR10_POLICY.length);
  const [p1, op1, m1, p2, op2, m2] = CIFAR10_POLICY[index];
  const ops: { half: 0 | 1; op: OpName; magnitude: number }[] = [];
  const halves = [[p1, op1, m1], [p2, op2, m2]] as const;
  for (const half of [0, 1] as const) {
    const [p, op, mi] = halves[half];
    if (rng.next() < p) {
      let magnitude = MAGNITUDES[op][mi];
      if (SIGNED_OPS.has(op)) magnitude *= rng.choice([-1, 1]);
      ops.push({ half, op, magnitude });
    }
  }
  return { index, ops };
}

export function applyPlan(img: RgbImage, plan: PolicyPlan, fill: readonly number[] = FILL): RgbImage {
  let out = img;
  for (const { op, magnitude } of plan.ops) out = applyOp(out, op, magnitude, fill);
  return out;
}

/** AutoAugment CIFAR10Policy: one random sub-policy, each half applied with its probability. */
export function cifar10Policy(img: RgbImage, rng: Rng, fill: readonly number[] = FILL): RgbImage {
  return applyPlan(img, samplePolicy(rng), fill);
}

