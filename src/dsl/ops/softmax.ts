// softmax and logSoftmax over one axis, numerically stable: one kernel computes each row's
// log-sum-exp (max-shifted), a second writes the outputs.
import { apply, type Lowering, type Primitive, type Tensor } from '../tensor.js';
import { normalizeAxis, softmaxShape } from '../shape-rules.js';
import type { AxisIndex, CheckAxis, Shape } from '../shape-types.js';
import { kernelSource, programLowering } from '../kernel-source.js';
import { exp, mul, sub } from './elementwise.js';
import { sum } from './reduce.js';

/** How kernels compute e^v for v <= 0 (the max-shifted values): statements declaring `into`. */
export type ExpOfNonPositive = (v: string, into: string) => string;
const mathExp: ExpOfNonPositive = (v, into) => `const ${into} = Math.exp(${v});`;

/** Kernel source: log-sum-exp of each row of x viewed as [outer, length, inner]; output [outer*inner]. */
export function logSumExpSource(length: number, inner: number, exp: ExpOfNonPositive = mathExp): string {
  const body =
    `const o = Math.floor((i + 0.5) / ${inner});\n  const base = o * ${length * inner} + (i - o * ${inner});\n` +
    `  let m = -3.4e38;\n  for (let l = 0; l < ${length}; l++) { m = Math.max(m, x[base + l * ${inner}]); }\n` +
    `  let s = 0.0;\n  for (let l = 0; l < ${length}; l++) {\n    ${exp(`x[base + l * ${inner}] - m`, 'e')}\n    s += e;\n  }\n` +
    `  return m + Math.log(s);`;
  return kernelSource(['x'], body);
}

/** softmax (`log: false`) or logSoftmax of x along `axis`, with `exp` for e^v, v <= 0. */
export function softmaxLowering(out: Tensor, x: Tensor, axis: number, log: boolean, exp: ExpOfNonPositive = mathExp): Lowering {
  const length = x.shape[axis];
  const inner = x.shape.slice(axis + 1).reduce((p, d) => p * d, 1);
  const rows = x.size / length;
  const apply = kernelSource(['x', 'lse'], `const o = Math.floor((i + 0.5) / ${length * inner});\n  const v = x[i] - lse[o * ${inner} + (i % ${inner})];\n  ${log ? 'return v;' : `${exp('v', 'e')}\n  return e;`}`);
  return programLowering({
    kernels: [
      { spec: { source: logSumExpSource(length, inner, exp), length: rows }, args: [0] },
      { spec: { source: apply, length: out.size }, args: [0, 1] },
    ],
  });
}

export const softmaxP: Primitive<number> = {
  name: 'softmax',
  shape: ([x], axis) => softmaxShape(x, axis),
  lower: (out, [x], axis) => softmaxLowering(out, x, axis, false),
  // dx = y * (g - sum(g * y))
  vjp: (g, y, _in, axis) => [mul(y, sub(g, sum(mul(g, y), axis, true)))],
};

export const logSoftmaxP: Primitive<number> = {
  name: 'logSoftmax',
  shape: ([x], axis) => softmaxShape(x, axis),
  lower: (out, [x], axis) => softmaxLowering(out, x, axis, true),
  // dx = g - softmax(x) * sum(g)
  vjp: (g, y, _in, axis) => [sub(g, mul(exp(y), sum(g, axis, true)))],
};

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
