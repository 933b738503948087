// Elementwise primitives: unary math, scalar ops and broadcasting binary ops.
// Each primitive: its signature (shape rule), gpu.js kernel, and VJP, side by side.
import { apply, type Primitive, type Tensor } from '../tensor.js';
import { broadcastShapes } from '../shape-rules.js';
import type { Broadcast, BroadcastsTo, CheckBroadcast, Shape } from '../shape-types.js';
import { coordinates, flatIndex, kernelSource, lit, localBinder, singleKernel, stridesOf } from '../kernel-source.js';
import { sumTo } from './reduce.js';
import { erf, expNegative, sourceArith, type Arith } from '../arith.js';

// --- unary ---------------------------------------------------------------------------------------

interface UnaryRule {
  /** gpu.js expression of `x`, for ops that are not plain arithmetic (`local` binds a repeated subexpression) */
  readonly expr?: (x: string, local: (expr: string) => string) => string;
  /** the value over any Arith: gives the gpu.js expression and native (SIMD) kernels */
  readonly arith?: <V>(m: Arith<V>, x: V) => V;
  /** cotangent of the input; absent for non-differentiable ops */
  readonly vjp?: (g: Tensor, out: Tensor, x: Tensor) => Tensor;
}

function unaryPrimitive(name: string, rule: UnaryRule): Primitive<void> {
  const math = rule.arith;
  const expr = rule.expr ?? ((x, local) => math!(sourceArith(local), x));
  return {
    name,
    shape: ([x]) => [...x],
    lower: (out) => {
      const { lines, local } = localBinder('u');
      const value = expr('x', local);
      return singleKernel(kernelSource(['a'], ['const x = a[i];', ...lines, `return ${value};`].join('\n  ')), out.size);
    },
    elementwise: ([x], _attrs, local) => expr(x, local),
    arith: math && ((m, [x]) => math(m, x)),
    vjp: rule.vjp ? (g, out, [x]) => [rule.vjp!(g, out, x)] : undefined,
  };
}

// gpu.js's webasm backend calls out to JavaScript for Math.exp, once per lane (~50 ns): GELU
// would cost as much as a matmul. So GELU and its gradient use exp-free forms (arith.ts).
const invSqrt2 = 0.7071067811865476;
const invSqrt2Pi = 0.3989422804014327;

const negP = unaryPrimitive('neg', { arith: (m, x) => m.neg(x), vjp: (g) => neg(g) });
const expP = unaryPrimitive('exp', { expr: (x) => `Math.exp(${x})`, vjp: (g, out) => mul(g, out) });
const logP = unaryPrimitive('log', { expr: (x) => `Math.log(${x})`, vjp: (g, _out, x) => div(g, x) });
const sqrtP = unaryPrimitive('sqrt', { arith: (m, x) => m.sqrt(x), vjp: (g, out) => div(g, mulScalar(out, 2)) });
const rsqrtP = unaryPrimitive('rsqrt', {
  arith: (m, x) => m.div(m.const(1), m.sqrt(x)),
  vjp: (g, out) => mul(g, mulScalar(mul(out, mul(out, out)), -0.5)),
});
const tanhP = unaryPrimitive('tanh', { expr: (x) => `Math.tanh(${x})`, vjp: (g, out) => mul(g, addScalar(neg(mul(out, out)), 1)) });
const stepP = unaryPrimitive('step', { arith: (m, x) => m.ifLess(m.const(0), x, m.const(1), m.const(0)) });
const reluP = unaryPrimitive('relu', { arith: (m, x) => m.max(x, m.const(0)), vjp: (g, _out, x) => mul(g, apply(stepP, [x], undefined)) });
// Φ(x) = (1 + erf(x / √2)) / 2
const normalCdf = <V>(m: Arith<V>, x: V) => m.mul(m.const(0.5), m.add(m.const(1), erf(m, m.bind(m.mul(x, m.const(invSqrt2))))));
// d/dx [x Φ(x)] = Φ(x) + x φ(x)
const geluGradP = unaryPrimitive('geluGrad', {
  arith: (m, x) => m.add(normalCdf(m, x), m.mul(m.mul(x, m.const(invSqrt2Pi)), expNegative(m, m.mul(m.mul(m.const(0.5), x), x)))),
});
const geluP = unaryPrimitive('gelu', {
  arith: (m, x) => m.mul(x, normalCdf(m, x)),
  vjp: (g, _out, x) => mul(g, apply(geluGradP, [x], undefined)),
});

const unary =
  (p: Primitive<void>) =>
  <S extends Shape>(x: Tensor<S>): Tensor<S> =>
    apply(p, [x], undefined);

export const neg = unary(negP);
export const exp = unary(expP);
export const log = unary(logP);
export const sqrt = unary(sqrtP);
export const rsqrt = unary(rsqrtP);
export const tanh = unary(tanhP);
export const relu = unary(reluP);
/** Exact GELU, x·Φ(x) (torch's default `approximate='none'`). */
export const gelu = unary(geluP);

// --- scalar ----------------------------------------------------------------------------------------

const mulScalarP: Primitive<number> = {
  name: 'mulScalar',
  shape: ([x]) => [...x],
  lower: (out, _in, c) => singleKernel(kernelSource(['a'], `return a[i] * ${lit(c)};`), out.size),
  elementwise: ([x], c) => `${x} * ${lit(c)}`,
  arith: (m, [x], c) => m.mul(x, m.const(c)),
  vjp: (g, _out, _in, c) => [mulScalar(g, c)],
};
const addScalarP: Primitive<number> = {
  name: 'addScalar',
  shape: ([x]) => [...x],
  lower: (out, _in, c) => singleKernel(kernelSource(['a'], `return a[i] + ${lit(c)};`), out.size),
  elementwise: ([x], c) => `${x} + ${lit(c)}`,
  arith: (m, [x], c) => m.add(x, m.const(c)),
  vjp: (g) => [g],
};

export const mulScalar = <S extends Shape>(x: Tensor<S>, c: number): Tensor<S> => apply(mulScalarP, [x], c);
export const addScalar = <S extends Shape>(x: Tensor<S>, c: number): Tensor<S> => apply(addScalarP, [x], c);

// --- binary with NumPy broadcasting ------------------------------------------------------------------

interface BinaryRule {
  readonly arith: <V>(m: Arith<V>, a: V, b: V) => V;
  readonly vjp?: (g: Tensor, out: Tensor, a: Tensor, b: Tensor) => [Tensor | null, Tensor | null];
}

/**
 * Index expression into an input broadcast (trailing-aligned) to the output shape, at output
 * index `index`: `index` itself for an input of the output's shape, else from the output's
 * coordinates `${coordinate}0`, `${coordinate}1`, ... (`coordinates()` binds them).
 */
export function broadcastIndex(input: readonly number[], output: readonly number[], index = 'i', coordinate = 'c'): string {
  if (input.length === output.length && input.every((d, k) => d === output[k])) return index;
  const offset = output.length - input.length;
  const inStrides = stridesOf(input);
  const strides = output.map((_, k) => (k < offset || input[k - offset] === 1 ? 0 : inStrides[k - offset]));
  return flatIndex(output.map((_, k) => `${coordinate}${k}`), strides);
}

function binaryPrimitive(name: string, rule: BinaryRule): Primitive<void> {
  return {
    name,
    shape: ([a, b]) => broadcastShapes(a, b),
    lower: (out, [a, b]) => {
      const ia = broadcastIndex(a.shape, out.shape);
      const ib = broadcastIndex(b.shape, out.shape);
      const coords = ia === 'i' && ib === 'i' ? '' : coordinates(out.shape);
      const { lines, local } = localBinder('u');
      const value = rule.arith(sourceArith(local), `a[${ia}]`, `b[${ib}]`);
      return singleKernel(kernelSource(['a', 'b'], [coords, ...lines, `return ${value};`].join('\n  ')), out.size);
    },
    elementwise: ([a, b], _attrs, local) => rule.arith(sourceArith(local), a, b),
    arith: (m, [a, b]) => rule.arith(m, a, b),
    vjp: rule.vjp ? (g, out, [a, b]) => rule.vjp!(g, out, a, b) : undefined,
  };
}

const addP = binaryPrimitive('add', { arith: (m, a, b) => m.add(a, b), vjp: (g, _o, a, b) => [sumTo(g, a.shape), sumTo(g, b.shape)] });
const subP = binaryPrimitive('sub', {
  arith: (m, a, b) => m.sub(a, b),
  vjp: (g, _o, a, b) => [sumTo(g, a.shape), sumTo(neg(g), b.shape)],
});
const mulP = binaryPrimitive('mul', {
  arith: (m, a, b) => m.mul(a, b),
  vjp: (g, _o, a, b) => [sumTo(mul(g, b), a.shape), sumTo(mul(g, a), b.shape)],
});
const divP = binaryPrimitive('div', {
  arith: (m, a, b) => m.div(a, b),
  vjp: (g, out, a, b) => [sumTo(div(g, b), a.shape), sumTo(neg(mul(g, div(out, b))), b.shape)],
});
const equalP = binaryPrimitive('equal', { arith: (m, a, b) => m.ifEqual(a, b, m.const(1), m.const(0)) });

/**
 * A broadcasting binary op. Overloads in order: equal shapes; b broadcast into a (bias [D] on
 * [..., D], a [..., 1] statistic, a scalar, a [1, T, E] position table); a broadcast into b; over
 * rows of any rank, [...R, D] with a bias [D] or a statistic [...R, 1]; and any two literal shapes,
 * checked by CheckBroadcast.
 */
export interface BinaryOp {
  <S extends Shape>(a: Tensor<S>, b: Tensor<NoInfer<S>>): Tensor<S>;
  <S extends Shape>(a: Tensor<S>, b: Tensor<NoInfer<BroadcastsTo<S>>>): Tensor<S>;
  <S extends Shape>(a: Tensor<NoInfer<BroadcastsTo<S>>>, b: Tensor<S>): Tensor<S>;
  <R extends Shape, D extends number>(a: Tensor<[...R, D]>, b: Tensor<[NoInfer<D>]>): Tensor<[...R, D]>;
  <R extends Shape, D extends number, RB extends R>(a: Tensor<[...R, D]>, b: Tensor<[...RB, 1]>): Tensor<[...R, D]>;
  <A extends Shape, B extends Shape>(a: Tensor<A>, b: Tensor<B> & CheckBroadcast<A, B>): Tensor<Broadcast<A, B>>;
}

// runtime boundary: the primitive's rule (broadcastShapes) computes the shape each overload states
const binary = (p: Primitive<void>) => ((a: Tensor, b: Tensor) => apply(p, [a, b], undefined)) as BinaryOp;

/** a + b with NumPy broadcasting; a shape mismatch is a compile-time error naming both shapes. */
export const add = binary(addP);
export const sub = binary(subP);
export const mul = binary(mulP);
export const div = binary(divP);
/** 1 where a == b, else 0 (not differentiable). */
export const equal = binary(equalP);
