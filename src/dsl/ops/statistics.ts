// Reductions and scans composed from the primitive ones (sum, max, matmul), so their gradients are
// those primitives' VJPs: min, logsumexp, variance and std (population forms, ddof 0, as
// numpy), cumsum. Axes and keepDims as for `sum`.
import { constant, type Tensor } from '../tensor.js';
import { nonEmptyAxes, normalizeAxis, reduceShape } from '../shape-rules.js';
import type { AxisIndex, CheckAxis, Shape } from '../shape-types.js';
import { mean, overEmpty, sum, type Reduction } from './reduce.js';
import { max } from './max.js';
import { add, exp, log, mul, neg, sqrt, sub } from './elementwise.js';
import { reshape, permute } from './layout.js';
import { matmulRaw } from './matmul.js';

type Axes = number | readonly number[] | undefined;
// runtime boundary: reduceShape computes the shape that Reduction's overloads state
const reduction = (f: (x: Tensor, axis: Axes) => Tensor) => ((x: Tensor, axis?: Axes, keepDims = false) => reshape(f(x, axis), reduceShape(x.shape, axis, keepDims))) as Reduction;
const kept = (r: Reduction, x: Tensor, axis: Axes): Tensor => (r as (x: Tensor, axis: Axes, keep: boolean) => Tensor)(x, axis, true);

/** Minimum over the given axes (all by default); an empty axis is an error naming it. */
export const min = reduction((x, axis) => (nonEmptyAxes('min', x.shape, axis), neg(kept(max, neg(x), axis))));
/** log Σ exp(x) over the given axes, shifted by the maximum so it does not overflow; −∞ over an empty axis. */
export const logsumexp = reduction((x, axis) => {
  const empty = overEmpty(x, axis, -Infinity);
  if (empty) return empty;
  const top = kept(max, x, axis);
  return add(top, log(kept(sum, exp(sub(x, top)), axis)));
});
/** Population variance (ddof 0, numpy's default) over the given axes. */
export const variance = reduction((x, axis) => {
  const d = sub(x, kept(mean, x, axis));
  return kept(mean, mul(d, d), axis);
});
/** Population standard deviation (ddof 0). */
export const std = reduction((x, axis) => sqrt(kept(variance, x, axis)));

/** Inclusive running sum along `axis` (numpy's `cumsum`): a matmul with a triangular matrix of ones. */
export function cumsum<S extends Shape, const Ax extends AxisIndex<S>>(x: Tensor<S>, axis: Ax & CheckAxis<S, Ax>): Tensor<S>;
export function cumsum(x: Tensor, axis: number): Tensor {
  const ax = normalizeAxis(axis, x.shape.length);
  const n = x.shape[ax];
  const ones = new Float32Array(n * n);
  for (let j = 0; j < n; j++) for (let i = j; i < n; i++) ones[j * n + i] = 1;
  const order = [...x.shape.keys()].filter((k) => k !== ax).concat(ax);
  const back = order.map((_, k) => order.indexOf(k));
  const moved = permute(x, order);
  const rows = reshape(moved, [moved.shape.slice(0, -1).reduce((p, d) => p * d, 1), n]);
  return permute(reshape(matmulRaw(rows, constant(ones, [n, n])), moved.shape), back);
}
