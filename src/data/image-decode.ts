// PNG and JPEG files as 8-bit RGB images, for `shaped-vit predict`. Files are untrusted: the
// dimensions are read from the header and checked against a pixel limit (like Pillow's
// MAX_IMAGE_PIXELS) before anything is decoded, and a PNG's compressed data is first inflated and
// counted (not kept) up to exactly the size its header implies, so a decompression bomb stops there.
// Decoders: pngjs (every colour type, bit depth 1–16, palette, tRNS, Adam7) and jpeg-js (baseline
// and progressive). Like PIL's convert('RGB'): alpha is dropped, 16-bit samples become 8-bit
// (round(v·255/65535), pngjs's rescale), grayscale is copied to R, G and B.
import { createInflate } from 'node:zlib';
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import type { RgbImage } from './augment.js';

export class ImageError extends Error {
  override name = 'ImageError';
}

/**
 * Default pixel limit: a 16-megapixel photo decodes, a bomb does not. Decoding costs up to ~25
 * bytes per pixel (a 16-bit RGBA PNG through pngjs), so a predict run stays near 0.5 GB.
 */
export const DEFAULT_MAX_PIXELS = 16_000_000;

export interface ImageHeader {
  readonly format: 'png' | 'jpeg';
  readonly width: number;
  readonly height: number;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The format and dimensions from the header alone; one-line ImageError for anything else. */
export function readImageHeader(bytes: Uint8Array): ImageHeader {
  if (bytes.length === 0) throw new ImageError('empty file');
  if (PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return pngHeader(bytes);
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return jpegHeader(bytes);
  throw new ImageError('not a PNG or JPEG image (unknown signature)');
}

function pngHeader(bytes: Uint8Array): ImageHeader {
  if (bytes.length < 33) throw new ImageError('truncated PNG (no complete IHDR chunk)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') throw new ImageError('bad PNG: the first chunk is not IHDR');
  return { format: 'png', width: view.getUint32(16), height: view.getUint32(20) };
}

/** Walks JPEG marker segments to the first SOFn frame header. */
function jpegHeader(bytes: Uint8Array): ImageHeader {
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) throw new ImageError(`bad JPEG: no marker at byte ${at}`);
    const marker = bytes[at + 1];
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    const length = (bytes[at + 2] << 8) | bytes[at + 3];
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) {
      if (at + 9 > bytes.length) break;
      return { format: 'jpeg', height: (bytes[at + 5] << 8) | bytes[at + 6], width: (bytes[at + 7] << 8) | bytes[at + 8] };
    }
    if (marker === 0xd9 || marker === 0xda) throw new ImageError('bad JPEG: no frame header before the image data');
    at += 2 + length;
  }
  throw new ImageError('truncated JPEG (ends before its frame header)');
}

/** Refuses dimensions that are zero or above `maxPixels`, before any decoding. */
export function checkDimensions(h: ImageHeader, maxPixels: number): void {
  if (h.width === 0 || h.height === 0) throw new ImageError(`bad ${h.format.toUpperCase()}: ${h.width}×${h.height} pixels`);
  const pixels = h.width * h.height;
  if (pixels > maxPixels) {
    throw new ImageError(`${h.width}×${h.height} = ${pixels.toLocaleString('en-US')} pixels is above the limit of ${maxPixels.toLocaleString('en-US')} (--max-pixels); not decoded`);
  }
}

/** Decodes a PNG or JPEG into 8-bit RGB after the header checks above. */
export async function decodeImage(bytes: Uint8Array, maxPixels = DEFAULT_MAX_PIXELS): Promise<RgbImage> {
  const header = readImageHeader(bytes);
  checkDimensions(header, maxPixels);
  if (header.format === 'png') await checkPngDataSize(bytes, header);
  try {
    return header.format === 'png' ? decodePng(bytes) : decodeJpeg(bytes, header, maxPixels);
  } catch (e) {
    if (e instanceof ImageError) throw e;
    const what = header.format === 'png' ? 'PNG' : 'JPEG';
    throw new ImageError(`bad ${what}: ${(e as Error).message.replace(/\s+/g, ' ')}`);
  }
}

const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

const PNG_CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/** Bytes of filtered scanlines (filter byte included) that a PNG's header implies. */
function pngDataSize(bytes: Uint8Array, h: ImageHeader): number {
  const depth = bytes[24];
  const channels = PNG_CHANNELS[bytes[25]];
  if (!channels || ![1, 2, 4, 8, 16].includes(depth)) throw new ImageError(`bad PNG: colour type ${bytes[25]} with bit depth ${depth}`);
  const rowBytes = (w: number) => (w === 0 ? 0 : Math.ceil((w * channels * depth) / 8) + 1);
  if (bytes[28] !== 1) return rowBytes(h.width) * h.height;
  let size = 0;
  for (const [x0, y0, dx, dy] of ADAM7) {
    const w = Math.ceil((h.width - x0) / dx);
    const rows = Math.ceil((h.height - y0) / dy);
    if (w > 0 && rows > 0) size += rowBytes(w) * rows;
  }
  return size;
}

/** The concatenated IDAT data (chunks walked by length; a cut-off file is reported as truncated). */
function pngIdat(bytes: Uint8Array): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const parts: Uint8Array[] = [];
  let at = 8;
  for (;;) {
    if (at + 8 > bytes.length) throw new ImageError('truncated PNG (no IEND chunk)');
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (at + 12 + length > bytes.length) throw new ImageError(`truncated PNG (the ${type} chunk is cut off)`);
    if (type === 'IDAT') parts.push(bytes.subarray(at + 8, at + 8 + length));
    if (type === 'IEND') break;
    at += 12 + length;
  }
  return Buffer.concat(parts);
}

/** Inflates the image data counting bytes (nothing kept), stopping past what the header implies: more is a bomb, less a truncation. */
async function checkPngDataSize(bytes: Uint8Array, h: ImageHeader): Promise<void> {
  const expected = pngDataSize(bytes, h);
  const idat = pngIdat(bytes);
  const size = await new Promise<number>((resolve, reject) => {
    const z = createInflate();
    let n = 0;
    z.on('data', (part: Buffer) => {
      n += part.length;
      if (n > expected) {
        z.destroy();
        resolve(n);
      }
    });
    z.on('end', () => resolve(n));
    z.on('error', (e) => reject(new ImageError(n ? `truncated PNG (image data holds ${n} of ${expected} bytes)` : `bad PNG: compressed image data: ${e.message}`)));
    z.end(idat);
  });
  if (size > expected) {
    throw new ImageError(`PNG image data inflates to more than the ${expected.toLocaleString('en-US')} bytes its ${h.width}×${h.height} header implies (a decompression bomb); not decoded`);
  }
  if (size < expected) throw new ImageError(`truncated PNG (image data holds ${size} of ${expected} bytes)`);
}

function decodePng(bytes: Uint8Array): RgbImage {
  const png = pngjs.PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return rgbaToRgb(png.data, png.width, png.height);
}

function decodeJpeg(bytes: Uint8Array, h: ImageHeader, maxPixels: number): RgbImage {
  // not tolerant: a cut-off scan is an error, not a gray bottom half
  const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, tolerantDecoding: false, maxResolutionInMP: maxPixels / 1e6, maxMemoryUsageInMB: 512 });
  if (img.width !== h.width || img.height !== h.height) throw new ImageError(`bad JPEG: decoded ${img.width}×${img.height}, header says ${h.width}×${h.height}`);
  return { width: img.width, height: img.height, data: img.data as Uint8Array };
}

function rgbaToRgb(rgba: Uint8Array, width: number, height: number): RgbImage {
  const n = width * height;
  const data = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    data[3 * i] = rgba[4 * i];
    data[3 * i + 1] = rgba[4 * i + 1];
    data[3 * i + 2] = rgba[4 * i + 2];
  }
  return { width, height, data };
}
