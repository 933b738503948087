// A minimal PNG encoder for tests, independent of the decoder under test: any colour type and bit
// depth, palette, and Adam7 interlacing (filter type 0 on every row).
import { deflateSync } from 'node:zlib';

export interface PngSpec {
  width: number;
  height: number;
  colorType: 0 | 2 | 3 | 4 | 6;
  depth: 1 | 2 | 4 | 8 | 16;
  /** samples[(y * width + x) * channels + c], each < 2^depth (palette indices for colour type 3) */
  samples: ArrayLike<number>;
  palette?: readonly (readonly [number, number, number])[];
  interlace?: boolean;
}

export const CHANNELS = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as const;
const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]] as const;

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

export function ihdr(width: number, height: number, depth: number, colorType: number, interlace = false): Buffer {
  const h = Buffer.alloc(13);
  h.writeUInt32BE(width, 0);
  h.writeUInt32BE(height, 4);
  h[8] = depth;
  h[9] = colorType;
  h[12] = interlace ? 1 : 0;
  return chunk('IHDR', h);
}

export const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Filtered scanlines (filter 0) of the pixels (x, y) for x in xs, y in ys. */
function scanlines(s: PngSpec, xs: number[], ys: number[]): number[] {
  const ch = CHANNELS[s.colorType];
  const out: number[] = [];
  for (const y of ys) {
    out.push(0);
    let acc = 0;
    let bits = 0;
    for (const x of xs) {
      for (let c = 0; c < ch; c++) {
        const v = s.samples[(y * s.width + x) * ch + c];
        if (s.depth === 16) out.push(v >> 8, v & 255);
        else if (s.depth === 8) out.push(v);
        else {
          acc = (acc << s.depth) | v;
          bits += s.depth;
          if (bits === 8) {
            out.push(acc);
            acc = 0;
            bits = 0;
          }
        }
      }
    }
    if (bits) out.push(acc << (8 - bits));
  }
  return out;
}

const range = (from: number, to: number, step: number) => {
  const r: number[] = [];
  for (let i = from; i < to; i += step) r.push(i);
  return r;
};

export function encodePng(s: PngSpec): Buffer {
  let raw: number[];
  if (!s.interlace) raw = scanlines(s, range(0, s.width, 1), range(0, s.height, 1));
  else {
    raw = [];
    for (const [x0, y0, dx, dy] of ADAM7) {
      const xs = range(x0, s.width, dx);
      const ys = range(y0, s.height, dy);
      if (xs.length && ys.length) raw.push(...scanlines(s, xs, ys));
    }
  }
  const parts = [SIGNATURE, ihdr(s.width, s.height, s.depth, s.colorType, s.interlace)];
  if (s.palette) parts.push(chunk('PLTE', Uint8Array.from(s.palette.flat())));
  parts.push(chunk('IDAT', deflateSync(Uint8Array.from(raw))), chunk('IEND', new Uint8Array(0)));
  return Buffer.concat(parts);
}
