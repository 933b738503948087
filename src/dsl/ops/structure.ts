// numpy's structure ops, typed: stack, squeeze, expandDims, flatten, pad, split, and the
// constructors arange, eye, linspace, oneHot (concat's list form is in layout.ts, beside concat).
// They compose primitives (reshape is free, concat and pad are one kernel each, oneHot is `equal`
// against arange after the shared index check), so grad, vmap and jit see only those.
import { apply, fromTypedArray, type Tensor } from '../tensor.js';
import { concatAll, padP, reshape as reshapeTyped, sliceAxis } from './layout.js';
import { checked } from './indexing.js';
import { equal } from './elementwise.js';
import { checkDims, normalizeAxis } from '../shape-rules.js';
import { ShapeError } from '../shape-error.js';
import { arangeLength, expandDimsShape, flattenShape, padWidthsShape, splitBounds, squeezeShape, stackShape } from '../structure-rules.js';
import type { AxisAt, AxisIndex, CheckDims, CheckDistinctAxes, CheckLiteral, Lt, Reduced, Shape, WithoutAxis } from '../shape-types.js';
import type {
  ArangeLength,
  CheckExpandDims,
  CheckFlatten,
  CheckPad,
  CheckSplit,
  CheckSqueeze,
  CheckStack,
  ExpandDims,
  Flatten,
  Flattened,
  InsertAt,
  PadWidths,
  Padded,
  ShapesOf,
  Split,
  Squeeze,
  Stack,
  TensorsOf,
  OnesAt,
  SplitParts,
  SplitResult,
} from '../structure-types.js';

// runtime boundary: shapes computed here are checked by reshape's rule
const reshape = reshapeTyped as (x: Tensor, shape: readonly number[]) => Tensor;

// A new axis of S in [0, rank] (it is an axis of S with one more dim).
type NewAxisAt<S extends Shape, Ax extends number> = AxisAt<[...S, 0], Ax>;

// --- stack / expandDims / squeeze / flatten --------------------------------------------------------

/**
 * numpy's stack: tensors of one shape joined along a new axis (`axis` in [-(rank + 1), rank]). A
 * list whose shapes differ, or an axis out of range, is a compile error naming them.
 */
export function stack<S extends Shape, const L extends readonly Tensor<S>[], const Ax extends AxisIndex<[...S, 0]>>(
  list: L & readonly [Tensor<S>, ...Tensor<S>[]],
  axis: Ax,
): Tensor<InsertAt<S, NewAxisAt<S, Ax>, L['length']>>;
export function stack<const L extends readonly Tensor[], Ax extends number>(list: L & CheckStack<ShapesOf<L>, Ax>, axis: Ax): Tensor<Stack<ShapesOf<L>, Ax>>;
export function stack(list: readonly Tensor[], axis: number): Tensor {
  const out = stackShape(list.map((x) => x.shape), axis);
  const at = axis < 0 ? axis + out.length : axis;
  return concatAll(list.map((x) => reshape(x, expandDimsShape(x.shape, at))), at);
}

/** numpy's expand_dims: a new axis of size 1 at `axis` (in [-(rank + 1), rank]); no copy. */
export function expandDims<S extends Shape, const Ax extends AxisIndex<[...S, 0]>>(x: Tensor<S>, axis: Ax): Tensor<InsertAt<S, NewAxisAt<S, Ax>, 1>>;
export function expandDims<S extends Shape, Ax extends number>(x: Tensor<S>, axis: Ax & CheckExpandDims<S, Ax>): Tensor<ExpandDims<S, Ax>>;
export function expandDims(x: Tensor, axis: number): Tensor {
  return reshape(x, expandDimsShape(x.shape, axis));
}

/**
 * numpy's squeeze: without the given axes (one or a list), each of which must have dim 1 — a
 * literal dim that is not 1 is a compile error naming it, a `number` dim is checked at runtime; with
 * no axis, without every dim that is 1 (a shape with `number` dims then has an unknown rank). No copy.
 */
export function squeeze<S extends Shape, const Ax extends AxisIndex<S>>(x: Tensor<S>, axis: Ax & (S[AxisAt<S, Ax>] extends 1 ? unknown : never)): Tensor<WithoutAxis<S, AxisAt<S, Ax>>>;
export function squeeze<S extends Shape, const Ax extends readonly AxisIndex<S>[]>(
  x: Tensor<S>,
  axis: Ax & CheckDistinctAxes<S, Ax> & (OnesAt<S, Ax> extends true ? unknown : never),
): Tensor<Reduced<S, Ax>>;
export function squeeze<S extends Shape, const Ax extends number | readonly number[] | undefined = undefined>(x: Tensor<S>, axis?: Ax & CheckSqueeze<S, Ax>): Tensor<Squeeze<S, Ax>>;
export function squeeze(x: Tensor, axis?: number | readonly number[]): Tensor {
  return reshape(x, squeezeShape(x.shape, axis));
}

/**
 * torch.flatten: axes `start`..`end` (inclusive) merged into one; the default flattens to 1-D
 * (numpy's flatten). The merged dim is the product of the literal dims, or the expression `Mul<C, H>`
 * of generic ones. No copy.
 */
export function flatten<S extends Shape, const St extends AxisIndex<S> = AxisIndex<S> & 0, const En extends AxisIndex<S> = AxisIndex<S> & -1>(
  x: Tensor<S>,
  start?: St,
  end?: En & (Lt<AxisAt<S, En>, AxisAt<S, St>> extends false ? unknown : never),
): Tensor<Flattened<S, AxisAt<S, St>, AxisAt<S, En>>>;
export function flatten<S extends Shape, St extends number = 0, En extends number = -1>(x: Tensor<S> & CheckFlatten<S, St, En>, start?: St, end?: En): Tensor<Flatten<S, St, En>>;
export function flatten(x: Tensor, start = 0, end = -1): Tensor {
  return reshape(x, flattenShape(x.shape, start, end));
}

// --- pad / split -------------------------------------------------------------------------------------

/**
 * numpy's pad in constant mode: `pad(x, [[before, after], …one pair per axis], value = 0)`. The
 * widths are checked against the rank (so generic dims type-check; the result's dims are
 * `Add<Add<D, before>, after>`). One kernel per padded axis; the gradient slices.
 */
export function pad<S extends Shape, const W extends PadWidths>(x: Tensor<S>, widths: W & CheckPad<S, W>, value?: number): Tensor<Padded<S, W>>;
export function pad(x: Tensor, widths: PadWidths, value = 0): Tensor {
  padWidthsShape(x.shape, widths);
  return widths.reduce((y, [before, after], axis) => {
    if (before === 0 && after === 0) return y;
    return apply(padP, [y], { axis, start: before, end: before + y.shape[axis], length: y.shape[axis] + before + after, value });
  }, x);
}

/**
 * numpy's split along `axis` (default 0): `split(x, 3)` gives 3 equal parts (the dim must divide),
 * `split(x, [2, 5])` cuts before indices 2 and 5 (increasing, within the dim: numpy's empty parts
 * for indices past the end are an error here). A tuple of typed parts for literal shapes.
 */
export function split<S extends Shape, const Spec extends number | readonly number[], const Ax extends AxisIndex<S> = AxisIndex<S> & 0>(
  x: Tensor<S>,
  sections: Spec & NoInfer<CheckLiteral<SplitResult<S, Spec, Ax>, S[number]>>,
  axis?: Ax,
): TensorsOf<SplitParts<S, Spec, AxisAt<S, Ax>>>;
export function split<S extends Shape, const Spec extends number | readonly number[], Ax extends number = 0>(
  x: Tensor<S>,
  sections: Spec & CheckSplit<S, Spec, Ax>,
  axis?: Ax,
): TensorsOf<Split<S, Spec, Ax>>;
export function split(x: Tensor, sections: number | readonly number[], axis = 0): Tensor[] {
  const at = normalizeAxis(axis, x.shape.length);
  return splitBounds(x.shape, sections, axis).map(([start, end]) => sliceAxis(x, at, start, end));
}

// --- constructors --------------------------------------------------------------------------------------

/**
 * numpy's arange: `arange(n)` is 0, 1, …, n − 1; `arange(start, stop, step = 1)` has
 * max(0, ⌈(stop − start) / step⌉) values start + k·step (computed in float64, stored as float32).
 * The length is a literal for natural literal arguments, else `number`.
 */
export function arange<const N extends number>(n: N): Tensor<[ArangeLength<0, N, 1>]>;
export function arange<const A extends number, const B extends number, const C extends number = 1>(start: A, stop: B, step?: C): Tensor<[ArangeLength<A, B, C>]>;
export function arange(a: number, b?: number, step = 1): Tensor {
  const [start, stop] = b === undefined ? [0, a] : [a, b];
  const n = arangeLength(start, stop, step);
  return fromTypedArray(Array.from({ length: n }, (_, k) => start + k * step), [n]);
}

/** numpy's eye: the n × m identity (ones on the diagonal), m = n by default. */
export function eye<const N extends number, const M extends number = N>(n: N, m?: M & CheckDims<[N, M]>): Tensor<[N, M]>;
export function eye(n: number, m = n): Tensor {
  checkDims([n, m]);
  const values = new Float32Array(n * m);
  for (let k = 0; k < Math.min(n, m); k++) values[k * m + k] = 1;
  return fromTypedArray(values, [n, m]);
}

/** numpy's linspace: `num` evenly spaced values from start to stop, both included. */
export function linspace<const N extends number>(start: number, stop: number, num: N & CheckDims<[N]>): Tensor<[N]>;
export function linspace(start: number, stop: number, num: number): Tensor {
  checkDims([num]);
  for (const v of [start, stop]) if (!Number.isFinite(v)) throw new ShapeError(`linspace: ${v} is not a finite number`);
  const step = num > 1 ? (stop - start) / (num - 1) : 0;
  // the last of several values is stop exactly, as numpy's
  return fromTypedArray(Array.from({ length: num }, (_, k) => (k > 0 && k === num - 1 ? stop : start + k * step)), [num]);
}

/**
 * `oneHot(indices, n)`: [...S] class indices → [...S, n] rows of 0/1 (jax.nn.one_hot). Indices are
 * float32 holding integers; one that is not an integer in [0, n) throws, naming it (at the call for
 * a tensor made from values, else when the result is computed).
 */
export function oneHot<S extends Shape, const N extends number>(indices: Tensor<S>, n: N & CheckDims<[N]>): Tensor<[...S, N]>;
export function oneHot(indices: Tensor, n: number): Tensor {
  checkDims([n]);
  const classes = checked('oneHot', indices, n, -1);
  return equal(reshape(classes, [...indices.shape, 1]), arange(n));
}
