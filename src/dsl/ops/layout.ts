// Layout primitives: reshape (no copy), permute/transpose, concat, slice/pad, and what is built
// from them: attention heads, equal chunks, image patches. Each public op lists overloads for code
// generic over dims first (they match shapes structurally), then the literal-shape one whose
// CheckX names what is wrong (tsc prints the last overload's error).
import { apply, type Mutable, type Primitive, type Tensor } from '../tensor.js';
import { definePrimitive } from '../primitive.js';
import { registerContiguousRun, registerStridedView } from '../kernel-table.js';
import {
  chunkShape,
  mergeHeadsShape,
  normalizeAxis,
  padShape,
  patchesShape,
  permuteShape,
  reshapeShape,
  shapesEqual,
  sizeOf,
  sliceShape,
  splitHeadsShape,
  takeShape,
  transposeShape,
} from '../shape-rules.js';
import type {
  Add,
  AxisAt,
  AxisIndex,
  CheckChunk,
  CheckConcat,
  CheckHeads,
  CheckLiteral,
  CheckMergeHeads,
  CheckPatch,
  CheckPatches,
  CheckPermute,
  CheckReshape,
  CheckSlice,
  CheckSplitHeads,
  CheckTake,
  CheckTranspose,
  Chunked,
  Concat,
  HeadWidth,
  MergeHeads,
  Mul,
  Patches,
  Permute,
  Permuted,
  Repeat,
  Reshape,
  Shape,
  Slice,
  SliceLength,
  SplitHeads,
  Take,
  Transpose,
  WithDim,
  WithoutAxis,
} from '../shape-types.js';
import { coordinates, flatIndex, kernelSource, lit, maxKernelInputs, programLowering, singleKernel, stridesOf, type ProgramKernel } from '../kernel-source.js';
import { concatListShape } from '../structure-rules.js';
import type { CheckConcatList, ConcatList, ShapesOf } from '../structure-types.js';

// --- reshape: shares storage with its input -------------------------------------------------------

const reshapeP: Primitive<readonly number[]> = definePrimitive({
  name: 'reshape',
  transforms: ['vjp', 'batch'],
  shape: ([x], to: readonly number[]) => reshapeShape(x, to),
  lowering: { kernel: () => programLowering({ kernels: [], result: 0 }) },
  vjp: (g, _out, [x]) => [reshape(g, [...x.shape])],
  batch: ([x], _b, to) => apply(reshapeP, [x], [x.shape[0], ...to]),
});
registerContiguousRun(reshapeP, () => 0);

/** Same elements, new shape; the element counts must agree (checked at compile time for literal shapes). */
export function reshape<S extends Shape, const T extends Shape>(x: Tensor<S>, shape: T & CheckReshape<S, T>): Tensor<Reshape<S, T>>;
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const out = reshapeShape(x.shape, shape);
  if (shapesEqual(out, x.shape)) return x;
  return apply(reshapeP, [x], out);
}

// --- permute -----------------------------------------------------------------------------------------

export const permuteP: Primitive<readonly number[]> = definePrimitive({
  name: 'permute',
  transforms: ['vjp', 'batch'],
  shape: ([x], axes: readonly number[]) => permuteShape(x, axes),
  lowering: {
    kernel: (out, [x], axes) => {
      const xs = stridesOf(x.shape);
      // output axis k reads input axis axes[k]
      const idx = flatIndex(out.shape.map((_, k) => `c${k}`), axes.map((a) => xs[a]));
      return singleKernel(kernelSource(['x'], `${coordinates(out.shape)}\n  return x[${idx}];`), out.size);
    },
  },
  vjp: (g, _out, _in, axes) => {
    const inverse = new Array<number>(axes.length);
    axes.forEach((a, k) => (inverse[a] = k));
    return [permute(g, inverse)];
  },
  batch: ([x], _b, axes) => apply(permuteP, [x], [0, ...axes.map((a) => a + 1)]),
});
registerStridedView(permuteP, (input, axes) => axes.map((a) => stridesOf(input)[a]));

/** Reorders axes: output axis k is input axis axes[k]. */
export function permute<S extends Shape, const P extends readonly AxisIndex<S>[]>(x: Tensor<S>, axes: P & ([Permuted<S, P>] extends [never] ? never : unknown)): Tensor<Permuted<S, P>>;
export function permute<S extends Shape, const P extends readonly number[]>(x: Tensor<S>, axes: P & CheckPermute<S, P>): Tensor<Permute<S, P>>;
export function permute(x: Tensor, axes: readonly number[]): Tensor {
  const out = permuteShape(x.shape, axes);
  if (axes.every((a, k) => a === k)) return x;
  return apply(permuteP, [x], [...axes]);
}

/** Swaps the last two axes. */
export function transpose<R extends Shape, X extends number, Y extends number>(x: Tensor<[...R, X, Y]>): Tensor<[...R, Y, X]>;
export function transpose<S extends Shape>(x: Tensor<S> & CheckTranspose<S>): Tensor<Transpose<S>>;
export function transpose(x: Tensor): Tensor {
  const n = x.shape.length;
  transposeShape(x.shape);
  return apply(permuteP, [x], x.shape.map((_, k) => (k === n - 2 ? n - 1 : k === n - 1 ? n - 2 : k)));
}

// --- slice / pad ---------------------------------------------------------------------------------------

export interface SliceAttrs {
  readonly axis: number;
  readonly start: number;
  readonly end: number;
}

/** Flat index into `inShape` of output coordinates shifted by `start` along `axis`. */
function windowIndex(outShape: readonly number[], inShape: readonly number[], axis: number, start: number): string {
  const strides = stridesOf(inShape);
  return flatIndex(outShape.map((_, k) => (k === axis && start !== 0 ? `(c${k} + ${start})` : `c${k}`)), strides);
}

/** x placed at [start, end) of `axis` in a tensor of `length` along it filled with `value` (default 0). */
export type PadAttrs = SliceAttrs & { readonly length: number; readonly value?: number };

export const padP: Primitive<PadAttrs> = definePrimitive({
  name: 'pad',
  transforms: ['vjp', 'batch'],
  shape: ([x], { axis, start, end, length }: PadAttrs) => padShape(x, axis, start, end, length),
  lowering: {
    kernel: (out, [x], { axis, start, end, value = 0 }) => {
      const idx = windowIndex(out.shape, x.shape, axis, -start);
      const body = `${coordinates(out.shape)}\n  if (c${axis} < ${start} || c${axis} >= ${end}) { return ${lit(value)}; }\n  return x[${idx}];`;
      return singleKernel(kernelSource(['x'], body), out.size);
    },
  },
  vjp: (g, _out, _in, { axis, start, end }) => [sliceAxis(g, axis, start, end)],
  batch: ([x], _b, attrs) => apply(padP, [x], { ...attrs, axis: attrs.axis + 1 }),
});

export const sliceP: Primitive<SliceAttrs> = definePrimitive({
  name: 'slice',
  transforms: ['vjp', 'batch'],
  shape: ([x], { axis, start, end }: SliceAttrs) => sliceShape(x, axis, start, end),
  lowering: {
    kernel: (out, [x], { axis, start }) =>
      singleKernel(kernelSource(['x'], `${coordinates(out.shape)}\n  return x[${windowIndex(out.shape, x.shape, axis, start)}];`), out.size),
  },
  vjp: (g, _out, [x], attrs) => [apply(padP, [g], { ...attrs, length: x.shape[attrs.axis] })],
  batch: ([x], _b, attrs) => apply(sliceP, [x], { ...attrs, axis: attrs.axis + 1 }),
});
// a slice along an axis with only size-1 axes before it (an unraveled vector's pieces) is one run
registerContiguousRun(sliceP, (input, { axis, start }) => (input.slice(0, axis).every((d) => d === 1) ? start * input.slice(axis + 1).reduce((p, d) => p * d, 1) : null));

/** @internal elements [start, end) along `axis` (in [0, rank)), no copy when that is all of it */
export function sliceAxis(x: Tensor, axis: number, start: number, end: number): Tensor {
  if (start === 0 && end === x.shape[axis]) return x;
  return apply(sliceP, [x], { axis, start, end });
}

/** Elements [start, end) along `axis`; bounds checked at compile time where the dim and bounds are literals. */
export function slice<S extends Shape, const Ax extends AxisIndex<S>, B extends number, E extends number>(
  x: Tensor<S>,
  axis: Ax,
  start: B,
  end: E & NoInfer<CheckLiteral<SliceLength<S[AxisAt<S, Ax>], B, E>, S[AxisAt<S, Ax>] | B | E>>,
): Tensor<WithDim<S, AxisAt<S, Ax>, SliceLength<S[AxisAt<S, Ax>], B, E> & number>>;
export function slice<S extends Shape, Ax extends number, B extends number, E extends number>(
  x: Tensor<S>,
  axis: Ax,
  start: B,
  end: E & CheckSlice<S, Ax, B, E>,
): Tensor<Slice<S, Ax, B, E>>;
export function slice(x: Tensor, axis: number, start: number, end: number): Tensor {
  sliceShape(x.shape, axis, start, end);
  return sliceAxis(x, normalizeAxis(axis, x.shape.length), start, end);
}

/**
 * Element `index` along `axis`, removing the axis (e.g. the class token: take(x, 1, 0)). For
 * generic dims only index 0 (its bound is checked at runtime); literal shapes check any index.
 */
export function take<S extends Shape, const Ax extends AxisIndex<S>>(x: Tensor<S>, axis: Ax, index: 0): Tensor<WithoutAxis<S, AxisAt<S, Ax>>>;
export function take<S extends Shape, Ax extends number, I extends number>(x: Tensor<S>, axis: Ax, index: I & CheckTake<S, Ax, I>): Tensor<Take<S, Ax, I>>;
export function take(x: Tensor, axis: number, index: number): Tensor {
  const out = takeShape(x.shape, axis, index);
  const a = normalizeAxis(axis, x.shape.length);
  return reshape(sliceAxis(x, a, index, index + 1), out);
}

/**
 * `count` equal parts of the last axis. Generic code names the part's width: `chunk(qkv, 3, e)` on
 * [..., Mul<3, E>] gives three [..., E]; literal shapes may leave it out (checked either way).
 */
export function chunk<R extends Shape, const N extends number, D extends number>(x: Tensor<[...R, NoInfer<Mul<N, D>>]>, count: N, width: D): Repeat<N, Tensor<[...R, D]>>;
export function chunk<S extends Shape, const N extends number>(x: Tensor<S>, count: N & CheckChunk<S, N>): Repeat<N, Tensor<Chunked<S, N>>>;
export function chunk(x: Tensor, count: number, width?: number): Tensor[] {
  const part = chunkShape(x.shape, count, width)[x.shape.length - 1];
  const axis = x.shape.length - 1;
  return Array.from({ length: count }, (_, k) => sliceAxis(x, axis, k * part, (k + 1) * part));
}

// --- concat ------------------------------------------------------------------------------------------

/** The portable concat kernel of inputs `shapes` (at most maxKernelInputs) into `out` along `axis`. */
function concatSource(out: readonly number[], shapes: readonly (readonly number[])[], axis: number): string {
  let at = 0;
  const reads = shapes.map((x, k) => {
    const read = `return x${k}[${windowIndex(out, x, axis, -at)}];`;
    at += x[axis];
    return k === shapes.length - 1 ? `  ${read}` : `  if (c${axis} < ${at}) { ${read} }`;
  });
  return kernelSource(shapes.map((_, k) => `x${k}`), `${coordinates(out)}\n${reads.join('\n')}`);
}

/**
 * Kernels joining program values `values` (of shapes `shapes`) along `axis`, appended to `kernels`
 * (value `first + k` is kernel k's output): one kernel reads at most maxKernelInputs, so longer
 * lists are joined in groups, then the groups. Returns the value holding the result.
 */
function concatKernels(shapes: readonly (readonly number[])[], values: readonly number[], axis: number, kernels: ProgramKernel[], first: number): { value: number; shape: number[] } {
  const shape = concatListShape(shapes, axis);
  if (values.length <= maxKernelInputs) {
    kernels.push({ spec: { source: concatSource(shape, shapes, axis), length: sizeOf(shape) }, args: values });
    return { value: first + kernels.length - 1, shape };
  }
  const groups: Array<{ value: number; shape: number[] }> = [];
  for (let k = 0; k < values.length; k += maxKernelInputs) groups.push(concatKernels(shapes.slice(k, k + maxKernelInputs), values.slice(k, k + maxKernelInputs), axis, kernels, first));
  return concatKernels(groups.map((g) => g.shape), groups.map((g) => g.value), axis, kernels, first);
}

// any number of inputs: the portable lowering joins more than one kernel's inputs in groups, and a
// backend's own kernel sees them all (webgpu copies contiguous runs; webasm copies on the host)
export const concatP: Primitive<number> = definePrimitive({
  name: 'concat',
  transforms: ['vjp', 'batch'],
  shape: (inputs, axis: number) => concatListShape(inputs, axis),
  lowering: {
    kernel: (_out, inputs, axis) => {
      const kernels: ProgramKernel[] = [];
      concatKernels(inputs.map((x) => x.shape), inputs.map((_, k) => k), axis, kernels, inputs.length);
      return programLowering({ kernels });
    },
  },
  vjp: (g, _out, inputs, axis) => {
    let at = 0;
    return inputs.map((x) => sliceAxis(g, axis, at, (at += x.shape[axis])));
  },
  batch: (inputs, batched, axis, { expand }) => apply(concatP, inputs.map((x, k) => (batched[k] ? x : expand(x))), axis + 1),
});

/** @internal the tensors joined along `axis` (in [0, rank)) */
export function concatAll(list: readonly Tensor[], axis: number): Tensor {
  return list.length === 1 ? list[0] : apply(concatP, list, axis);
}

/**
 * numpy's concatenate: `concat([a, b, c], axis)` joins a list along `axis` (all other dims equal);
 * `concat(a, b, axis)` is the same for two. Literal shapes give the summed dim, or a compile error
 * naming the first pair that differs; generic code may join tensors of one shape `S` (a list) or
 * two whose dims other than the axis are the same types.
 */
export function concat<A extends Shape, B extends Shape, const Ax extends AxisIndex<A>>(
  a: Tensor<A>,
  b: Tensor<B> & Tensor<NoInfer<WithDim<A, AxisAt<A, Ax>, B[AxisAt<A, Ax>]>>>,
  axis: Ax,
): Tensor<WithDim<A, AxisAt<A, Ax>, Add<A[AxisAt<A, Ax>], B[AxisAt<A, Ax>]>>>;
export function concat<A extends Shape, B extends Shape, Ax extends number>(a: Tensor<A>, b: Tensor<B> & CheckConcat<A, B, Ax>, axis: Ax): Tensor<Concat<A, B, Ax>>;
export function concat<S extends Shape, const L extends readonly Tensor<S>[], const Ax extends AxisIndex<S>>(
  list: L & readonly [Tensor<S>, ...Tensor<S>[]],
  axis: Ax,
): Tensor<WithDim<S, AxisAt<S, Ax>, Mul<L['length'], S[AxisAt<S, Ax>]>>>;
export function concat<const L extends readonly Tensor[], Ax extends number>(list: L & CheckConcatList<ShapesOf<L>, Ax>, axis: Ax): Tensor<ConcatList<ShapesOf<L>, Ax>>;
export function concat(...args: [Tensor, Tensor, number] | [readonly Tensor[], number]): Tensor {
  const [list, axis] = args.length === 3 ? [[args[0], args[1]], args[2]] : args;
  concatListShape(list.map((x) => x.shape), axis);
  return concatAll(list, normalizeAxis(axis, list[0].shape.length));
}

// --- attention heads -------------------------------------------------------------------------------

/**
 * [B, T, E] -> [B, H, T, E/H]: heads take contiguous slices of E (torch MultiheadAttention). The
 * head width stays `HeadWidth<E, H>` in generic code (mergeHeads turns it back into E); for literal
 * dims it is the number, and a count that does not divide fails at the call: "embedDim 384 is not
 * divisible by heads 7" (CheckHeads). Checked at runtime too.
 */
export function splitHeads<B extends number, T extends number, E extends number, H extends number>(x: Tensor<[B, T, E]>, heads: H & NoInfer<CheckHeads<E, H>>): Tensor<[B, H, T, HeadWidth<E, H>]>;
export function splitHeads<S extends Shape, H extends number>(x: Tensor<S>, heads: H & CheckSplitHeads<S, H>): Tensor<SplitHeads<S, H>>;
export function splitHeads(x: Tensor, heads: number): Tensor {
  const [b, h, t, d] = splitHeadsShape(x.shape, heads);
  return apply(permuteP, [reshape(x, [b, t, h, d])], [0, 2, 1, 3]);
}

/** [B, H, T, D] -> [B, T, H*D], the inverse of splitHeads (in generic code, [B, H, T, HeadWidth<E, H>] -> [B, T, E]). */
export function mergeHeads<B extends number, H extends number, T extends number, E extends number = never>(x: Tensor<[B, H, T, HeadWidth<E, H>]>): Tensor<[B, T, E]>;
export function mergeHeads<S extends Shape>(x: Tensor<S> & CheckMergeHeads<S>): Tensor<MergeHeads<S>>;
export function mergeHeads(x: Tensor): Tensor {
  return reshape(apply(permuteP, [x], [0, 2, 1, 3]), mergeHeadsShape(x.shape));
}

// --- image patches ---------------------------------------------------------------------------------

/**
 * [B, C, H, W] -> [B, (H/P)·(W/P), P·P·C]: non-overlapping P×P patches in row-major patch order,
 * each flattened as (row, column, channel) — X.reshape(B,C,H/P,P,W/P,P).permute(0,2,4,3,5,1).
 * A patch that does not divide literal H and W fails at the call (CheckPatch); checked at runtime too.
 */
export function patchify<B extends number, C extends number, H extends number, W extends number, P extends number>(
  images: Tensor<[B, C, H, W]>,
  patch: P & NoInfer<CheckPatch<H, W, P>>,
): Tensor<Patches<[B, C, H, W], P>>;
export function patchify<S extends Shape, P extends number>(images: Tensor<S>, patch: P & CheckPatches<S, P>): Tensor<Mutable<Patches<S, P>>>;
export function patchify(images: Tensor, patch: number): Tensor {
  const out = patchesShape(images.shape, patch);
  const [b, c, h, w] = images.shape;
  const grid = [b, c, h / patch, patch, w / patch, patch];
  const six = apply(reshapeP, [images], grid);
  return reshape(apply(permuteP, [six], [0, 2, 4, 3, 5, 1]), out);
}
