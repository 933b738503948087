// webasm's layout kernels: webasm storage is host memory (a Float32Array), so slice, pad and
// concat are plain copies on the host (contiguous runs with set/subarray) and permute a WebAssembly copy
// loop, not gpu.js kernels that compute an index per element.
import type { BackendLowering } from '../kernel-table.js';
import { stridesOf } from '../kernel-source.js';
import type { PadAttrs, SliceAttrs } from '../ops/layout.js';
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
    const dst = backend.allocate(out.size);
    for (let o = 0; o < outer; o++) dst.set(src.subarray(o * from + start * inner, o * from + start * inner + run), o * run);
    return backend.adopt(dst);
  };
};

export const webasmPad: BackendLowering<'webasm', PadAttrs> = (out, [x], { axis, start, length, value = 0 }) => {
  const { outer, inner } = around(x.shape, axis);
  const [run, to] = [x.shape[axis] * inner, length * inner];
  return async (backend, [xs]) => {
    const src = backend.values(xs);
    const dst = backend.allocate(out.size).fill(value);
    for (let o = 0; o < outer; o++) dst.set(src.subarray(o * run, (o + 1) * run), o * to + start * inner);
    return backend.adopt(dst);
  };
};

/** The inputs side by side along `axis`: per outer index, each input's contiguous run in turn. */
export const webasmConcat: BackendLowering<'webasm', number> = (out, inputs, axis) => {
  const { outer, inner } = around(out.shape, axis);
  const runs = inputs.map((x) => x.shape[axis] * inner);
  const width = out.shape[axis] * inner;
  return async (backend, args) => {
    const xs = args.map((a) => backend.values(a));
    const dst = backend.allocate(out.size);
    for (let o = 0; o < outer; o++) {
      let at = o * width;
      xs.forEach((x, k) => (dst.set(x.subarray(o * runs[k], (o + 1) * runs[k]), at), (at += runs[k])));
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
