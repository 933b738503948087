// Layout primitives: reshape (no copy), permute/transpose, concat, slice/pad, and the attention
// head split/merge built from them.
import { apply, type Primitive, type Tensor } from '../tensor.js';
import {
  concatShape,
  mergeHeadsShape,
  normalizeAxis,
  permuteShape,
  reshapeShape,
  sliceShape,
  splitHeadsShape,
  takeShape,
  transposeShape,
} from '../shape-rules.js';
import type {
  CheckConcat,
  CheckPermute,
  CheckReshape,
  CheckSlice,
  CheckSplitHeads,
  CheckTake,
  Concat,
  MergeHeads,
  Permute,
  Reshape,
  Shape,
  Slice,
  SplitHeads,
  Take,
  Transpose,
} from '../shape-types.js';
import { coordinates, flatIndex, kernelSource, singleKernel, stridesOf } from '../kernel-source.js';

// --- reshape: shares storage with its input -------------------------------------------------------

const reshapeP: Primitive<void> = {
  name: 'reshape',
  lower: () => async (backend, [x]) => backend.retain(x),
  vjp: (g, _out, [x]) => [reshape(g, [...x.shape])],
};

/** Same elements, new shape; the element counts must agree (checked at compile time). */
export function reshape<S extends Shape, const T extends Shape>(x: Tensor<S>, shape: T & CheckReshape<S, T>): Tensor<Reshape<S, T>> {
  const out = reshapeShape(x.shape, shape);
  if (out.length === x.shape.length && out.every((d, k) => d === x.shape[k])) return x as unknown as Tensor<Reshape<S, T>>;
  return apply(reshapeP, [x], out as unknown as Reshape<S, T>);
}

// --- permute -----------------------------------------------------------------------------------------

const permuteP: Primitive<readonly number[]> = {
  name: 'permute',
  lower: (out, [x], axes) => {
    const xs = stridesOf(x.shape);
    // output axis k reads input axis axes[k]
    const idx = flatIndex(out.shape.map((_, k) => `c${k}`), axes.map((a) => xs[a]));
    return singleKernel(kernelSource(['x'], `${coordinates(out.shape)}\n  return x[${idx}];`), out.size);
  },
  vjp: (g, _out, _in, axes) => {
    const inverse = new Array<number>(axes.length);
    axes.forEach((a, k) => (inverse[a] = k));
    return [permute(g, inverse)];
  },
};

/** Reorders axes: output axis k is input axis axes[k]. */
export function permute<S extends Shape, const P extends readonly number[]>(x: Tensor<S>, axes: P & CheckPermute<S, P>): Tensor<Permute<S, P>> {
  const out = permuteShape(x.shape, axes);
  if (axes.every((a, k) => a === k)) return x as unknown as Tensor<Permute<S, P>>;
  return apply(permuteP, [x], out as unknown as Permute<S, P>, [...axes]);
}

/** Swaps the last two axes. */
export function transpose<S extends Shape>(x: Tensor<S>): Tensor<Transpose<S>> {
  const n = x.shape.length;
  transposeShape(x.shape);
  const axes = x.shape.map((_, k) => (k === n - 2 ? n - 1 : k === n - 1 ? n - 2 : k));
  return apply(permuteP, [x], permuteShape(x.shape, axes) as unknown as Transpose<S>, axes);
}

// --- slice / pad ---------------------------------------------------------------------------------------

interface SliceAttrs {
  readonly axis: number;
  readonly start: number;
  readonly end: number;
}

/** Flat index into `inShape` of output coordinates shifted by `start` along `axis`. */
function windowIndex(outShape: readonly number[], inShape: readonly number[], axis: number, start: number): string {
  const strides = stridesOf(inShape);
  return flatIndex(outShape.map((_, k) => (k === axis && start !== 0 ? `(c${k} + ${start})` : `c${k}`)), strides);
}

const padP: Primitive<SliceAttrs & { readonly length: number }> = {
  name: 'pad',
  // places x at [start, end) of `axis` in a zero tensor of `length` along it
  lower: (out, [x], { axis, start, end }) => {
    const idx = windowIndex(out.shape, x.shape, axis, -start);
    const body = `${coordinates(out.shape)}\n  if (c${axis} < ${start} || c${axis} >= ${end}) { return 0.0; }\n  return x[${idx}];`;
    return singleKernel(kernelSource(['x'], body), out.size);
  },
  vjp: (g, _out, _in, { axis, start, end }) => [sliceAxis(g, axis, start, end)],
};

const sliceP: Primitive<SliceAttrs> = {
  name: 'slice',
  lower: (out, [x], { axis, start }) =>
    singleKernel(kernelSource(['x'], `${coordinates(out.shape)}\n  return x[${windowIndex(out.shape, x.shape, axis, start)}];`), out.size),
  vjp: (g, _out, [x], attrs) => [apply(padP, [g], [...x.shape], { ...attrs, length: x.shape[attrs.axis] })],
};

function sliceAxis(x: Tensor, axis: number, start: number, end: number): Tensor {
  if (start === 0 && end === x.shape[axis]) return x;
  return apply(sliceP, [x], x.shape.map((d, k) => (k === axis ? end - start : d)), { axis, start, end });
}

/** Elements [start, end) along `axis`, bounds checked at compile time. */
export function slice<S extends Shape, Ax extends number, B extends number, E extends number>(
  x: Tensor<S>,
  axis: Ax,
  start: B,
  end: E & CheckSlice<S, Ax, B, E>,
): Tensor<Slice<S, Ax, B, E>> {
  const out = sliceShape(x.shape, axis, start, end);
  return sliceAxis(x, normalizeAxis(axis, x.shape.length), start, end) as Tensor<Slice<S, Ax, B, E>> & typeof out;
}

/** Element `index` along `axis`, removing the axis (e.g. the class token: take(x, 1, 0)). */
export function take<S extends Shape, Ax extends number, I extends number>(x: Tensor<S>, axis: Ax, index: I & CheckTake<S, Ax, I>): Tensor<Take<S, Ax, I>> {
  const out = takeShape(x.shape, axis, index);
  const a = normalizeAxis(axis, x.shape.length);
  return reshape(sliceAxis(x, a, index, index + 1), out as Shape) as unknown as Tensor<Take<S, Ax, I>>;
}

// --- concat ------------------------------------------------------------------------------------------

const concatP: Primitive<number> = {
  name: 'concat',
  lower: (out, [a, b], axis) => {
    const split = a.shape[axis];
    const body =
      `${coordinates(out.shape)}\n  if (c${axis} < ${split}) { return a[${windowIndex(out.shape, a.shape, axis, 0)}]; }\n` +
      `  return b[${windowIndex(out.shape, b.shape, axis, -split)}];`;
    return singleKernel(kernelSource(['a', 'b'], body), out.size);
  },
  vjp: (g, _out, [a], axis) => [sliceAxis(g, axis, 0, a.shape[axis]), sliceAxis(g, axis, a.shape[axis], g.shape[axis])],
};

/** Joins a and b along `axis`; all other dims must agree. */
export function concat<A extends Shape, B extends Shape, Ax extends number>(a: Tensor<A>, b: Tensor<B> & CheckConcat<A, B, Ax>, axis: Ax): Tensor<Concat<A, B, Ax>> {
  const out = concatShape(a.shape, b.shape, axis);
  return apply(concatP, [a, b], out as unknown as Concat<A, B, Ax>, normalizeAxis(axis, a.shape.length));
}

// --- attention heads -------------------------------------------------------------------------------

/** [B, T, E] -> [B, H, T, E/H]: heads take contiguous slices of E (torch MultiheadAttention). */
export function splitHeads<S extends Shape, H extends number>(x: Tensor<S>, heads: H & CheckSplitHeads<S, H>): Tensor<SplitHeads<S, H>> {
  const [b, h, t, d] = splitHeadsShape(x.shape, heads);
  return apply(permuteP, [reshape(x as Tensor, [b, t, h, d])], [b, h, t, d], [0, 2, 1, 3]) as unknown as Tensor<SplitHeads<S, H>>;
}

/** [B, H, T, D] -> [B, T, H*D], the inverse of splitHeads. */
export function mergeHeads<S extends Shape>(x: Tensor<S>): Tensor<MergeHeads<S>> {
  const out = mergeHeadsShape(x.shape);
  const [b, h, t, d] = x.shape;
  return reshape(apply(permuteP, [x], [b, t, h, d], [0, 2, 1, 3]), out as Shape) as unknown as Tensor<MergeHeads<S>>;
}
