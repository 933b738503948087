// webasm's layout kernels: copies, not gpu.js kernels that compute an index per element. Slice, pad
// and concat copy contiguous runs: one run on the host (set/subarray), many (a run per outer index,
// e.g. q, k and v cut from each token's projection) in a WebAssembly loop, since thousands of short
// set() calls cost more than the copying; permute is a WebAssembly copy loop over strides.
import type { Storage, WebasmBackend } from '../backend.js';
import type { BackendLowering } from '../kernel-table.js';
import { stridesOf } from '../kernel-source.js';
import type { PadAttrs, SliceAttrs } from '../ops/layout.js';
import { mergeLoops, runVector } from './webasm-elementwise.js';
import { FunctionBody } from './wasm-emit.js';
import { runKernel } from './wasm-run.js';

/** [outer, axis length, inner] around `axis`. */
function around(shape: readonly number[], axis: number) {
  const outer = shape.slice(0, axis).reduce((p, d) => p * d, 1);
  const inner = shape.slice(axis + 1).reduce((p, d) => p * d, 1);
  return { outer, inner };
}

/** Copies `n` floats from pointer `from` to pointer `to` and advances both past them: vectors, then single floats. */
function copy(f: FunctionBody, to: number, from: number, n: number): void {
  f.repeat(n >> 2, () => f.get(to).get(from).v128Load().v128Store().bump(to, 16).bump(from, 16));
  for (let j = 0; j < (n & 3); j++) f.get(to).get(from).f32Load(4 * j).f32Store(4 * j);
  f.bump(to, 4 * (n & 3)).bump(from, 4 * (n & 3));
}

/** Stores `value` in `n` floats at pointer `to` and advances it past them. */
function fill(f: FunctionBody, to: number, value: number, n: number): void {
  f.repeat(n >> 2, () => f.get(to).v128Const([value, value, value, value]).v128Store().bump(to, 16));
  for (let j = 0; j < (n & 3); j++) f.get(to).f32Const(value).f32Store(4 * j);
  f.bump(to, 4 * (n & 3));
}

/** A copy loop over `outer` rows: run(out, ...inputs), `row` emitting one row's copies (pointer 0 the output). */
function rows(key: string, outer: number, inputs: number, row: (f: FunctionBody) => void, before: (f: FunctionBody) => void = () => undefined) {
  const emit = () => {
    const f = new FunctionBody(1 + inputs);
    before(f);
    f.repeat(outer, () => row(f));
    return f;
  };
  return (length: number, backend: WebasmBackend, args: readonly Storage[]) => runKernel(key, emit, backend, args, length);
}

export const webasmSlice: BackendLowering<'webasm', SliceAttrs> = (out, [x], { axis, start, end }) => {
  const { outer, inner } = around(x.shape, axis);
  const [from, run] = [x.shape[axis] * inner, (end - start) * inner];
  if (outer > 1) {
    const loop = rows(`slice ${outer} ${from} ${start * inner} ${run}`, outer, 1, (f) => (copy(f, 0, 1, run), f.bump(1, 4 * (from - run))), (f) => f.bump(1, 4 * start * inner));
    return (backend, args) => loop(out.size, backend, args);
  }
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
  if (outer > 1) {
    const loop = rows(`pad ${outer} ${run} ${start * inner} ${to} ${value}`, outer, 1, (f) => (fill(f, 0, value, start * inner), copy(f, 0, 1, run), fill(f, 0, value, to - start * inner - run)));
    return (backend, args) => loop(out.size, backend, args);
  }
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
  if (outer > 1) {
    const loop = rows(`concat ${outer} ${runs}`, outer, inputs.length, (f) => runs.forEach((run, k) => copy(f, 0, k + 1, run)));
    return (backend, args) => loop(out.size, backend, args);
  }
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
