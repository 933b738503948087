// webasm's layout kernels: webasm storage is host memory (a Float32Array), so slice, pad and
// concat are plain copies on the host (contiguous runs with set/subarray) and permute a WebAssembly copy
// loop, not gpu.js kernels that compute an index per element.
import type { BackendLowering } from '../kernel-table.js';
import { stridesOf } from '../kernel-source.js';
import type { SliceAttrs } from '../ops/layout.js';
import { mergeLoops, runVector } from './webasm-elementwise.js';

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

export const webasmConcat: BackendLowering<'webasm', number> = (out, [a, b], axis) => {
  const { outer, inner } = around(a.shape, axis);
  const [runA, runB] = [a.shape[axis] * inner, b.shape[axis] * inner];
  return async (backend, [as, bs]) => {
    const [x, y] = [backend.values(as), backend.values(bs)];
    const dst = new Float32Array(out.size);
    for (let o = 0, at = 0; o < outer; o++, at += runA + runB) {
      dst.set(x.subarray(o * runA, (o + 1) * runA), at);
      dst.set(y.subarray(o * runB, (o + 1) * runB), at + runA);
    }
    return backend.adopt(dst);
  };
};

/**
 * Output axis k reads input axis axes[k]: the elementwise loops (webasm-elementwise.ts) with the
 * input's strides permuted: runs contiguous in the input are vector copies, others a gather.
 */
export const webasmPermute: BackendLowering<'webasm', readonly number[]> = (out, [x], axes) => {
  const inStrides = stridesOf(x.shape);
  const loops = mergeLoops(out.shape, [axes.map((a) => inStrides[a])]);
  return (backend, args) => runVector(`permute ${JSON.stringify(loops)}`, loops, (_s, [v]) => v, out.size, backend, args);
};
