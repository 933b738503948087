// softmax and logSoftmax over one axis, numerically stable, as row ops (rows.ts): each row's
// log-sum-exp (max-shifted), then the outputs. softmax's gradient is a row op too, so a backward
// pass reads g and y once for the row sums and once for the result.
import { apply, type BatchRule, type Primitive, type Tensor } from '../tensor.js';
import { definePrimitive } from '../primitive.js';
import { registerRows } from '../kernel-table.js';
import { normalizeAxis, sameShape, softmaxShape } from '../shape-rules.js';
import type { AxisIndex, CheckAxis, Shape } from '../shape-types.js';
import { kernelSource } from '../kernel-source.js';
import { sourceArith, type Arith } from '../arith.js';
import { passesSource, rowLowering, type RowLayout, type RowPass, type RowRule } from '../rows.js';
import { exp, mul, sub } from './elementwise.js';
import { sum } from './reduce.js';

/** How kernels compute e^v for v <= 0 (the max-shifted values). */
export type ExpOfNonPositive = <V>(m: Arith<V>, v: V) => V;
const mathExp: ExpOfNonPositive = (m, v) => m.exp(v);

/** The rows of x along `axis`. */
export const rowsAlong = (shape: readonly number[], axis: number): RowLayout => ({
  length: shape[axis],
  inner: shape.slice(axis + 1).reduce((p, d) => p * d, 1),
});

/** A row's log-sum-exp, max-shifted: its maximum, then the sum of e^(x - max). */
const logSumExp = (expOf: ExpOfNonPositive): readonly RowPass[] => [
  { folds: (_m, x) => [{ op: 'max', value: x(0) }], then: (_m, [max]) => [max] },
  { folds: (m, x, [max]) => [{ op: 'sum', value: expOf(m, m.sub(x(0), max)) }], then: (m, [s], [max]) => [m.add(max, m.log(s))] },
];

/** Kernel source: log-sum-exp of each row of x viewed as [outer, length, inner]; output [outer*inner]. */
export function logSumExpSource(length: number, inner: number): string {
  const { lines, values } = passesSource(logSumExp(mathExp), length, (_k, index, into) => `const ${into} = x[${index}];`, (l) => `base + ${l} * ${inner}`);
  const body = [`const o = Math.floor((i + 0.5) / ${inner});`, `const base = o * ${length * inner} + (i - o * ${inner});`, ...lines, `return ${values[0]};`];
  return kernelSource(['x'], body.join('\n  '));
}

/** softmax (`log: false`) or logSoftmax along the axis, with `expOf` for e^v, v <= 0. */
export function softmaxRule(log: boolean, expOf: ExpOfNonPositive = mathExp): RowRule<number> {
  const passes = logSumExp(expOf);
  return {
    layout: rowsAlong,
    width: 1,
    passes: () => passes,
    element: ([x], [lse], _axis, local) => (log ? `${x} - ${lse}` : expOf(sourceArith(local), `(${x} - ${lse})`)),
  };
}

// dx = y * (g - sum(g * y)) along the axis; inputs [y, g]
const softmaxGradRule: RowRule<number> = {
  layout: rowsAlong,
  width: 1,
  passes: () => [{ folds: (m, x) => [{ op: 'sum', value: m.mul(x(1), x(0)) }], then: (_m, [gy]) => [gy] }],
  element: ([y, g], [gy]) => `${y} * (${g} - ${gy})`,
};

/** Batched, a row op's axis moves up one; unbatched operands are broadcast along the mapped axis. */
const alongAxis =
  (p: () => Primitive<number>): BatchRule<number> =>
  (inputs, batched, axis, { expand }) =>
    apply(p(), inputs.map((x, k) => (batched[k] ? x : expand(x))), axis + 1);

export const softmaxGradP: Primitive<number> = definePrimitive({
  name: 'softmaxGrad',
  transforms: ['vjp', 'batch'],
  shape: (inputs, _axis: number) => sameShape('softmaxGrad', inputs),
  lowering: { kernel: (out, inputs, axis) => rowLowering(softmaxGradRule, out, inputs, axis) },
  // out = y (g - s), s = Σ g y: linear in g with a symmetric Jacobian (so softmaxGrad again), and
  // d/dy gives h (g - s) - g Σ h y; in differentiable ops, for derivatives of any order
  vjp: (h, _out, [y, g], axis) => [sub(mul(h, sub(g, sum(mul(g, y), axis, true))), mul(g, sum(mul(h, y), axis, true))), apply(softmaxGradP, [y, h], axis)],
  batch: alongAxis(() => softmaxGradP),
});
registerRows(softmaxGradP, softmaxGradRule);

const softmaxOf = softmaxRule(false);
const logSoftmaxOf = softmaxRule(true);

export const softmaxP: Primitive<number> = definePrimitive({
  name: 'softmax',
  transforms: ['vjp', 'batch'],
  shape: ([x], axis: number) => softmaxShape(x, axis),
  lowering: { kernel: (out, inputs, axis) => rowLowering(softmaxOf, out, inputs, axis) },
  vjp: (g, y, _in, axis) => [apply(softmaxGradP, [y, g], axis)],
  batch: alongAxis(() => softmaxP),
});
registerRows(softmaxP, softmaxOf);

export const logSoftmaxP: Primitive<number> = definePrimitive({
  name: 'logSoftmax',
  transforms: ['vjp', 'batch'],
  shape: ([x], axis: number) => softmaxShape(x, axis),
  lowering: { kernel: (out, inputs, axis) => rowLowering(logSoftmaxOf, out, inputs, axis) },
  // dx = g - softmax(x) * sum(g)
  vjp: (g, y, _in, axis) => [sub(g, mul(exp(y), sum(g, axis, true)))],
  batch: alongAxis(() => logSoftmaxP),
});
registerRows(logSoftmaxP, logSoftmaxOf);

// Overloads: the last axis of any rank >= 1 (generic dims too); an axis checked against the rank;
// literal shapes, whose bad axis CheckAxis names.
/** softmax along `axis` (default: last). */
export function softmax<R extends Shape, D extends number>(x: Tensor<[...R, D]>, axis?: -1): Tensor<[...R, D]>;
export function softmax<S extends Shape, const Ax extends AxisIndex<S>>(x: Tensor<S>, axis: Ax): Tensor<S>;
export function softmax<S extends Shape, Ax extends number>(x: Tensor<S>, axis: Ax & CheckAxis<S, Ax>): Tensor<S>;
export function softmax(x: Tensor, axis = -1): Tensor {
  return apply(softmaxP, [x], normalizeAxis(axis, x.shape.length));
}

/** log(softmax(x)) along `axis` (default: last), computed without overflow. */
export function logSoftmax<R extends Shape, D extends number>(x: Tensor<[...R, D]>, axis?: -1): Tensor<[...R, D]>;
export function logSoftmax<S extends Shape, const Ax extends AxisIndex<S>>(x: Tensor<S>, axis: Ax): Tensor<S>;
export function logSoftmax<S extends Shape, Ax extends number>(x: Tensor<S>, axis: Ax & CheckAxis<S, Ax>): Tensor<S>;
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return apply(logSoftmaxP, [x], normalizeAxis(axis, x.shape.length));
}
