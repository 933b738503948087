// Elementwise primitives: unary math, scalar ops and broadcasting binary ops. Each is one `arith`
// expression (the gpu.js kernel, fusion and webasm's SIMD code derive from it) and its VJP.
import { apply, type Primitive, type Tensor } from '../tensor.js';
import { elementwisePrimitive, zeroDerivative } from '../primitive.js';
import type { Broadcast, BroadcastsTo, CheckBroadcast, Shape } from '../shape-types.js';
import { sumTo } from './reduce.js';
import { erf, expNegative, type Arith } from '../arith.js';

// --- unary ---------------------------------------------------------------------------------------

function unaryPrimitive(name: string, arith: <V>(m: Arith<V>, x: V) => V, vjp: (g: Tensor, out: Tensor, x: Tensor) => Tensor): Primitive<void> {
  return elementwisePrimitive(name, (m, [x]) => arith(m, x), (g, out, [x]) => [vjp(g, out, x)]);
}

// gpu.js's webasm backend calls out to JavaScript for Math.exp, once per lane (~50 ns): GELU
// would cost as much as a matmul. So GELU and its gradient use exp-free forms (arith.ts).
const invSqrt2 = 0.7071067811865476;
const invSqrt2Pi = 0.3989422804014327;

const negP = unaryPrimitive('neg', (m, x) => m.neg(x), (g) => neg(g));
const expP = unaryPrimitive('exp', (m, x) => m.exp(x), (g, out) => mul(g, out));
const logP = unaryPrimitive('log', (m, x) => m.log(x), (g, _out, x) => div(g, x));
const sqrtP = unaryPrimitive('sqrt', (m, x) => m.sqrt(x), (g, out) => div(g, mulScalar(out, 2)));
const rsqrtP = unaryPrimitive('rsqrt', (m, x) => m.div(m.const(1), m.sqrt(x)), (g, out) => mul(g, mulScalar(mul(out, mul(out, out)), -0.5)));
const tanhP = unaryPrimitive('tanh', (m, x) => m.tanh(x), (g, out) => mul(g, addScalar(neg(mul(out, out)), 1)));
// relu's derivative: a step, whose own derivative is zero wherever it exists
const stepP = elementwisePrimitive('step', (m, [x]) => m.ifLess(m.const(0), x, m.const(1), m.const(0)), zeroDerivative);
const reluP = unaryPrimitive('relu', (m, x) => m.max(x, m.const(0)), (g, _out, x) => mul(g, apply(stepP, [x], undefined)));
// Φ(x) = (1 + erf(x / √2)) / 2
const normalCdf = <V>(m: Arith<V>, x: V) => m.mul(m.const(0.5), m.add(m.const(1), erf(m, m.bind(m.mul(x, m.const(invSqrt2))))));
// d/dx [x Φ(x)] = Φ(x) + x φ(x); its own derivative 2φ(x) + x φ'(x) = φ(x) (2 - x²), in differentiable ops
const geluGradP = unaryPrimitive(
  'geluGrad',
  (m, x) => m.add(normalCdf(m, x), m.mul(m.mul(x, m.const(invSqrt2Pi)), expNegative(m, m.mul(m.mul(m.const(0.5), x), x)))),
  (g, _out, x) => {
    const square = mul(x, x);
    return mul(g, mul(mulScalar(exp(mulScalar(square, -0.5)), invSqrt2Pi), addScalar(neg(square), 2)));
  },
);
const geluP = unaryPrimitive('gelu', (m, x) => m.mul(x, normalCdf(m, x)), (g, _out, x) => mul(g, apply(geluGradP, [x], undefined)));

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

const mulScalarP = elementwisePrimitive<number>('mulScalar', (m, [x], c) => m.mul(x, m.const(c)), (g, _out, _in, c) => [mulScalar(g, c)]);
const addScalarP = elementwisePrimitive<number>('addScalar', (m, [x], c) => m.add(x, m.const(c)), (g) => [g]);

export const mulScalar = <S extends Shape>(x: Tensor<S>, c: number): Tensor<S> => apply(mulScalarP, [x], c);
export const addScalar = <S extends Shape>(x: Tensor<S>, c: number): Tensor<S> => apply(addScalarP, [x], c);

// --- binary with NumPy broadcasting ------------------------------------------------------------------

function binaryPrimitive(name: string, arith: <V>(m: Arith<V>, a: V, b: V) => V, vjp: (g: Tensor, out: Tensor, a: Tensor, b: Tensor) => [Tensor | null, Tensor | null]): Primitive<void> {
  return elementwisePrimitive(name, (m, [a, b]) => arith(m, a, b), (g, out, [a, b]) => vjp(g, out, a, b));
}

const addP = binaryPrimitive('add', (m, a, b) => m.add(a, b), (g, _o, a, b) => [sumTo(g, a.shape), sumTo(g, b.shape)]);
const subP = binaryPrimitive('sub', (m, a, b) => m.sub(a, b), (g, _o, a, b) => [sumTo(g, a.shape), sumTo(neg(g), b.shape)]);
const mulP = binaryPrimitive('mul', (m, a, b) => m.mul(a, b), (g, _o, a, b) => [sumTo(mul(g, b), a.shape), sumTo(mul(g, a), b.shape)]);
const divP = binaryPrimitive('div', (m, a, b) => m.div(a, b), (g, out, a, b) => [sumTo(div(g, b), a.shape), sumTo(neg(mul(g, div(out, b))), b.shape)]);
const equalP = elementwisePrimitive('equal', (m, [a, b]) => m.ifEqual(a, b, m.const(1), m.const(0)), zeroDerivative);

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
