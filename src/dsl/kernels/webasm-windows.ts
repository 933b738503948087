// webasm's im2col and col2im: webasm storage is host memory, so the windows are copied on the host.
// cols are [G, C/G, kH, kW, B, OH, OW]: for one kernel tap (channel, p, q), image b and output row
// oy, the OW outputs read one input row at x = ox·s − pad + q·d: at stride 1 a contiguous run (a plain
// loop), the padding a `fill`; col2im adds the same runs back.
import type { BackendLowering } from '../kernel-table.js';
import type { WindowAttrs } from '../ops/conv.js';

/** For tap offset `off` (= q·d − pad), the outputs [lo, hi) whose input x = ox·s + off is inside [0, w). */
function validRange(off: number, stride: number, w: number, outW: number): [number, number] {
  const lo = Math.min(outW, Math.max(0, Math.ceil(-off / stride)));
  const hi = Math.max(lo, Math.min(outW, Math.floor((w - 1 - off) / stride) + 1));
  return [lo, hi];
}

/** Calls `row(dstRow, srcRow | -1, off)` for every (tap, image, output row): srcRow −1 is a padding row. */
function eachRow(a: WindowAttrs, row: (colsAt: number, imageAt: number, off: number) => void): void {
  const [b, c, h, w] = a.image;
  const { kh, kw, outH, outW, stride, padding, dilation } = a;
  let at = 0;
  for (let ch = 0; ch < c; ch++) {
    for (let p = 0; p < kh; p++) {
      for (let q = 0; q < kw; q++) {
        const off = q * dilation - padding;
        for (let n = 0; n < b; n++) {
          for (let oy = 0; oy < outH; oy++, at += outW) {
            const y = oy * stride - padding + p * dilation;
            row(at, y < 0 || y >= h ? -1 : ((n * c + ch) * h + y) * w, off);
          }
        }
      }
    }
  }
}

export const webasmIm2col: BackendLowering<'webasm', WindowAttrs> = (out, _inputs, a) => {
  const { stride, outW, fill } = a;
  const w = a.image[3];
  return async (backend, [xs]) => {
    const src = backend.values(xs);
    const dst = new Float32Array(out.size);
    eachRow(a, (at, from, off) => {
      if (from < 0) return void dst.fill(fill, at, at + outW);
      const [lo, hi] = validRange(off, stride, w, outW);
      if (lo > 0) dst.fill(fill, at, at + lo);
      if (hi < outW) dst.fill(fill, at + hi, at + outW);
      // runs are short (a row of the output): a loop beats set(subarray()), which allocates a view per row
      const base = from + off;
      for (let ox = lo; ox < hi; ox++) dst[at + ox] = src[base + ox * stride];
    });
    return backend.adopt(dst);
  };
};

export const webasmCol2im: BackendLowering<'webasm', WindowAttrs> = (out, _inputs, a) => {
  const { stride, outW } = a;
  const w = a.image[3];
  return async (backend, [cs]) => {
    const cols = backend.values(cs);
    const dst = new Float32Array(out.size);
    eachRow(a, (at, to, off) => {
      if (to < 0) return;
      const [lo, hi] = validRange(off, stride, w, outW);
      const base = to + off;
      for (let ox = lo; ox < hi; ox++) dst[base + ox * stride] += cols[at + ox];
    });
    return backend.adopt(dst);
  };
};
