// Geometric augmentations and tensor conversion for one RGB uint8 image.
//
// Internal layout is HWC (interleaved R,G,B per pixel, row-major) like a PIL
// "RGB" image, because the AutoAugment ops are defined on PIL images. CIFAR
// records are CHW planes; fromCHW converts once per image, toNormalizedCHW
// converts back while normalising.

import type { Rng } from './rng.js';

/** An RGB image, HWC layout: data[(y * width + x) * 3 + channel]. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** Per-channel mean and std used by the classic CIFAR-10 recipe's Normalize. */
export const CIFAR10_MEAN: readonly [number, number, number] = [0.4914, 0.4822, 0.4465];
export const CIFAR10_STD: readonly [number, number, number] = [0.247, 0.2435, 0.2616];

export function createImage(width: number, height: number, data?: Uint8Array): RgbImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`image size must be positive integers, got ${width}x${height}`);
  }
  const size = width * height * 3;
  if (data && data.length !== size) throw new RangeError(`image data has ${data.length} bytes, expected ${size} for ${width}x${height} RGB`);
  return { width, height, data: data ?? new Uint8Array(size) };
}

/** Reads one CHW record (R plane, G plane, B plane) starting at `offset` into an HWC image. */
export function fromCHW(chw: Uint8Array, offset = 0, width = 32, height = 32): RgbImage {
  const plane = width * height;
  if (offset < 0 || offset + 3 * plane > chw.length) throw new RangeError(`fromCHW: record at ${offset} runs past the end (${chw.length} bytes)`);
  const data = new Uint8Array(plane * 3);
  for (let p = 0; p < plane; p++) {
    data[p * 3] = chw[offset + p];
    data[p * 3 + 1] = chw[offset + plane + p];
    data[p * 3 + 2] = chw[offset + 2 * plane + p];
  }
  return { width, height, data };
}

/** HWC image back to CHW bytes (used by tests and tools). */
export function toCHW(img: RgbImage): Uint8Array {
  const plane = img.width * img.height;
  const out = new Uint8Array(plane * 3);
  for (let p = 0; p < plane; p++) {
    out[p] = img.data[p * 3];
    out[plane + p] = img.data[p * 3 + 1];
    out[2 * plane + p] = img.data[p * 3 + 2];
  }
  return out;
}

/**
 * Crop of the image zero-padded by `pad` on every side, `top`/`left` being
 * the crop's corner in padded coordinates (0..2*pad). Output keeps the size.
 */
export function cropPadded(img: RgbImage, pad: number, top: number, left: number): RgbImage {
  const { width: w, height: h } = img;
  // outside the image reads as zeros, torchvision's default fill
  return remapPixels(img, w, h, (x, y) => {
    const sx = x + left - pad;
    const sy = y + top - pad;
    return sx < 0 || sx >= w || sy < 0 || sy >= h ? -1 : sy * w + sx;
  });
}

/**
 * torchvision RandomCrop(size, padding=pad) with size = image size: zero-pad,
 * then crop at top = randint(0, 2*pad), left = randint(0, 2*pad) (drawn in that order).
 */
export function randomCrop(img: RgbImage, rng: Rng, pad = 4): RgbImage {
  const top = rng.int(2 * pad + 1);
  const left = rng.int(2 * pad + 1);
  return cropPadded(img, pad, top, left);
}

/** Mirror left-right. */
export function flipLeftRight(img: RgbImage): RgbImage {
  const w = img.width;
  return remapPixels(img, w, img.height, (x, y) => y * w + (w - 1 - x));
}

/**
 * A new ow × oh image whose pixel (x, y) copies source pixel `source(x, y)` (a pixel index into
 * img), or stays 0 where it returns -1.
 */
export function remapPixels(img: RgbImage, ow: number, oh: number, source: (x: number, y: number) => number): RgbImage {
  const src = img.data;
  const out = new Uint8Array(ow * oh * 3);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      const p = source(x, y);
      if (p < 0) continue;
      const s = p * 3;
      const d = (y * ow + x) * 3;
      out[d] = src[s];
      out[d + 1] = src[s + 1];
      out[d + 2] = src[s + 2];
    }
  }
  return { width: ow, height: oh, data: out };
}

/** torchvision RandomHorizontalFlip(p): flips when a uniform draw is < p. */
export function horizontalFlip(img: RgbImage, rng: Rng, p = 0.5): RgbImage {
  return rng.next() < p ? flipLeftRight(img) : img;
}

/**
 * NORM_LUT[c * 256 + v] = ToTensor + Normalize of value v in channel c, each
 * step rounded to float32 as torch does it: t = v / 255, then (t - mean) / std.
 * A table makes the per-pixel work one lookup.
 */
const NORM_LUT = (() => {
  const lut = new Float32Array(3 * 256);
  for (let c = 0; c < 3; c++) {
    const m = Math.fround(CIFAR10_MEAN[c]);
    const s = Math.fround(CIFAR10_STD[c]);
    for (let v = 0; v < 256; v++) lut[c * 256 + v] = Math.fround(Math.fround(v / 255) - m) / s;
  }
  return lut;
})();

/** ToTensor + Normalize(CIFAR10_MEAN, CIFAR10_STD) into CHW float32, written to out[offset ..]. */
export function toNormalizedCHW(img: RgbImage, out?: Float32Array, offset = 0): Float32Array {
  const plane = img.width * img.height;
  const dst = out ?? new Float32Array(plane * 3);
  if (offset < 0 || offset + plane * 3 > dst.length) throw new RangeError(`toNormalizedCHW: output too small for ${plane * 3} values at ${offset}`);
  const src = img.data;
  for (let c = 0; c < 3; c++) {
    const base = offset + c * plane;
    const lut = c * 256;
    for (let p = 0; p < plane; p++) dst[base + p] = NORM_LUT[lut + src[p * 3 + c]];
  }
  return dst;
}

/** The same for a CHW record read in place (the no-augmentation path skips the HWC image). */
export function normalizeCHWRecord(chw: Uint8Array, at: number, out: Float32Array, offset: number, plane = 1024): void {
  if (at < 0 || at + 3 * plane > chw.length || offset < 0 || offset + 3 * plane > out.length) throw new RangeError('normalizeCHWRecord: out of range');
  for (let c = 0; c < 3; c++) {
    const lut = c * 256;
    const src = at + c * plane;
    const dst = offset + c * plane;
    for (let p = 0; p < plane; p++) out[dst + p] = NORM_LUT[lut + chw[src + p]];
  }
}
