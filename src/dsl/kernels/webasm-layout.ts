// webasm's layout kernels: webasm storage is host memory (a Float32Array), so permute, slice and
// pad are plain copies on the host (contiguous runs with set/subarray), not gpu.js kernels that
// copy their input into wasm memory and compute an index per element.
import type { BackendLowering } from '../kernel-table.js';
import { stridesOf } from '../kernel-source.js';
import type { SliceAttrs } from '../ops/layout.js';

/** [outer, axis length, inner] around `axis`. */
function around(shape: readonly number[], axis: number) {
  const outer = shape.slice(0, axis).reduce((p, d) => p * d, 1);
  const inner = shape.slice(axis + 1).reduce((p, d) => p * d, 1);
  return { outer, inner };
}

export const webasmSlice: BackendLowering<'webasm', SliceAttrs> = (out, [x], { axis, start, end }) => {
  const { outer, inner } = around(x.shape, axis);
  const [from, run] = [x.shape[axis] * inner, (end - start) * inner];
  return async (backend, [xs]) => {
    const src = backend.values(xs);
    const dst = new Float32Array(out.size);
    for (let o = 0; o < outer; o++) dst.set(src.subarray(o * from + start * inner, o * from + start * inner + run), o * run);
    return backend.adopt(dst);
  };
};

export const webasmPad: BackendLowering<'webasm', SliceAttrs & { readonly length: number }> = (out, [x], { axis, start, length }) => {
  const { outer, inner } = around(x.shape, axis);
  const [run, to] = [x.shape[axis] * inner, length * inner];
  return async (backend, [xs]) => {
    const src = backend.values(xs);
    const dst = new Float32Array(out.size);
    for (let o = 0; o < outer; o++) dst.set(src.subarray(o * run, (o + 1) * run), o * to + start * inner);
    return backend.adopt(dst);
  };
};

/** Output axis k reads input axis axes[k]; the last output axis is the inner loop. */
export const webasmPermute: BackendLowering<'webasm', readonly number[]> = (out, [x], axes) => {
  const inStrides = stridesOf(x.shape);
  const shape = out.shape;
  const strides = axes.map((a) => inStrides[a]);
  const rank = shape.length;
  const last = rank - 1;
  return async (backend, [xs]) => {
    const src = backend.values(xs);
    const dst = new Float32Array(out.size);
    if (rank === 0 || out.size === 0) return backend.adopt(Float32Array.from(src));
    const n = shape[last];
    const step = strides[last];
    const at = new Array<number>(rank).fill(0);
    let base = 0;
    for (let i = 0; i < out.size; i += n) {
      if (step === 1) dst.set(src.subarray(base, base + n), i);
      else for (let c = 0, s = base; c < n; c++, s += step) dst[i + c] = src[s];
      // odometer over the outer output axes
      for (let k = last - 1; k >= 0; k--) {
        if (++at[k] < shape[k]) {
          base += strides[k];
          break;
        }
        base -= (shape[k] - 1) * strides[k];
        at[k] = 0;
      }
    }
    return backend.adopt(dst);
  };
};
