// numpy's elementwise math beyond the basics in elementwise.ts: comparisons (0/1 in float32),
// selection, maximum/minimum, pow, and unary functions. Each is one `arith` expression (gpu.js
// source, fusion and webasm SIMD derive from it) with its VJP; comparisons and the masks that
// gradients use have a zero derivative by definition (`zeroDerivative`, listed in test/primitive-rules.test.ts).
import { apply, full, type Primitive, type Tensor } from '../tensor.js';
import { elementwisePrimitive, zeroDerivative } from '../primitive.js';
import { erf as erfArith, type Arith } from '../arith.js';
import type { Broadcast, BroadcastsTo, CheckBroadcast, Shape } from '../shape-types.js';
import { sumTo } from './reduce.js';
import { addScalar, log, mul, mulScalar, neg, type BinaryOp } from './elementwise.js';

// --- comparisons and selection ------------------------------------------------------------------------

const comparison = (name: string, arith: <V>(m: Arith<V>, a: V, b: V) => V) =>
  elementwisePrimitive(name, (m, [a, b]) => arith(m, a, b), zeroDerivative);
const one = <V>(m: Arith<V>) => m.const(1);
const zero = <V>(m: Arith<V>) => m.const(0);

const greaterP = comparison('greater', (m, a, b) => m.ifLess(b, a, one(m), zero(m)));
const greaterEqualP = comparison('greaterEqual', (m, a, b) => m.ifLess(a, b, zero(m), one(m)));
const lessP = comparison('less', (m, a, b) => m.ifLess(a, b, one(m), zero(m)));
const lessEqualP = comparison('lessEqual', (m, a, b) => m.ifLess(b, a, zero(m), one(m)));
const notEqualP = comparison('notEqual', (m, a, b) => m.ifEqual(a, b, zero(m), one(m)));

const binary = (p: Primitive<void>) => ((a: Tensor, b: Tensor) => apply(p, [a, b], undefined)) as BinaryOp;

/** 1 where a > b, else 0 (float32; not differentiable), with NumPy broadcasting. */
export const greater = binary(greaterP);
/** 1 where a >= b, else 0. */
export const greaterEqual = binary(greaterEqualP);
/** 1 where a < b, else 0. */
export const less = binary(lessP);
/** 1 where a <= b, else 0. */
export const lessEqual = binary(lessEqualP);
/** 1 where a != b, else 0. */
export const notEqual = binary(notEqualP);

// cond != 0 ? a : b; the gradient goes to the branch taken (none to cond)
const whereP: Primitive<void> = elementwisePrimitive('where', (m, [c, a, b]) => m.ifEqual(c, m.const(0), b, a), (g, _out, [c, a, b]) => {
  const zeros = full([], 0);
  return [null, sumTo(apply(whereP, [c, g, zeros], undefined), a.shape), sumTo(apply(whereP, [c, zeros, g], undefined), b.shape)];
});

/**
 * numpy's `where(cond, a, b)`: a where cond is nonzero, else b, all three broadcast together
 * (a condition from `greater` etc. is 0/1 in float32).
 */
export function where<S extends Shape>(cond: Tensor<NoInfer<BroadcastsTo<S>>>, a: Tensor<S>, b: Tensor<NoInfer<BroadcastsTo<S>>>): Tensor<S>;
export function where<C extends Shape, A extends Shape, B extends Shape>(
  cond: Tensor<C>,
  a: Tensor<A> & CheckBroadcast<C, A>,
  b: Tensor<B> & CheckBroadcast<Broadcast<C, A>, B>,
): Tensor<Broadcast<Broadcast<C, A>, B>>;
export function where(cond: Tensor, a: Tensor, b: Tensor): Tensor {
  return apply(whereP, [cond, a, b], undefined);
}

// --- maximum, minimum, pow ----------------------------------------------------------------------------

// d max(a, b) / da: 1 where a > b, ½ on ties (PyTorch's convention), else 0
const preferP = elementwisePrimitive('maximumMask', (m, [a, b]) => m.ifLess(b, a, m.const(1), m.ifEqual(a, b, m.const(0.5), m.const(0))), zeroDerivative);
const prefer = (a: Tensor, b: Tensor) => apply(preferP, [a, b], undefined);

const maximumP = elementwisePrimitive('maximum', (m, [a, b]) => m.max(a, b), (g, _out, [a, b]) => [sumTo(mul(g, prefer(a, b)), a.shape), sumTo(mul(g, prefer(b, a)), b.shape)]);
const minimumP = elementwisePrimitive('minimum', (m, [a, b]) => m.min(a, b), (g, _out, [a, b]) => [sumTo(mul(g, prefer(b, a)), a.shape), sumTo(mul(g, prefer(a, b)), b.shape)]);

/** Elementwise maximum with NumPy broadcasting (ties split the gradient, as PyTorch). */
export const maximum = binary(maximumP);
/** Elementwise minimum with NumPy broadcasting. */
export const minimum = binary(minimumP);

// a^b for a >= 0 and NaN below (as every backend agrees: WGSL's pow is undefined there); an integer
// power given as a number is exact multiplication for any sign of a (and SIMD on webasm)
// NaN for a negative x, computed at run time (a constant sqrt(-1) is a WGSL compile error)
const nan = <V>(m: Arith<V>, negative: V) => m.sqrt(negative);
const powP: Primitive<void> = elementwisePrimitive('pow', (m, [a, b]) => m.ifLess(a, m.const(0), nan(m, a), m.pow(a, b)), (g, out, [a, b]) => [
  sumTo(mul(g, mul(b, apply(powP, [a, addScalar(b, -1)], undefined))), a.shape),
  sumTo(mul(g, mul(out, apply(whereP, [a, log(a), full([], 0)], undefined))), b.shape),
]);
function integerPower<V>(m: Arith<V>, x: V, n: number): V {
  let result: V | null = null;
  let square = m.bind(x);
  for (let k = Math.abs(n); k > 0; k >>= 1) {
    if (k & 1) result = result === null ? square : m.bind(m.mul(result, square));
    if (k > 1) square = m.bind(m.mul(square, square));
  }
  const power = result ?? m.const(1);
  return n < 0 ? m.div(m.const(1), power) : power;
}
const powScalarP: Primitive<number> = elementwisePrimitive<number>(
  'powScalar',
  (m, [x], n) => (Number.isInteger(n) && Math.abs(n) <= 64 ? integerPower(m, x, n) : m.ifLess(x, m.const(0), nan(m, x), m.pow(x, m.const(n)))),
  (g, _out, [x], n) => [mul(g, mulScalar(apply(powScalarP, [x], n - 1), n))],
);

/** a ** b with NumPy broadcasting (a < 0 gives NaN); b may be a number (an integer one: any a). */
export const pow: BinaryOp & (<S extends Shape>(a: Tensor<S>, b: number) => Tensor<S>) = ((a: Tensor, b: Tensor | number) =>
  typeof b === 'number' ? apply(powScalarP, [a], b) : apply(powP, [a, b], undefined)) as BinaryOp & (<S extends Shape>(a: Tensor<S>, b: number) => Tensor<S>);

// --- unary ---------------------------------------------------------------------------------------------

function unaryPrimitive(name: string, arith: <V>(m: Arith<V>, x: V) => V, vjp: (g: Tensor, out: Tensor, x: Tensor) => Tensor): Primitive<void> {
  return elementwisePrimitive(name, (m, [x]) => arith(m, x), (g, out, [x]) => [vjp(g, out, x)]);
}
const unary =
  (p: Primitive<void>) =>
  <S extends Shape>(x: Tensor<S>): Tensor<S> =>
    apply(p, [x], undefined);

const signArith = <V>(m: Arith<V>, x: V) => m.ifLess(m.const(0), x, m.const(1), m.ifLess(x, m.const(0), m.const(-1), m.const(0)));
// the derivative of sign is 0 wherever it exists (PyTorch's): no cotangent, stated
const signP = elementwisePrimitive('sign', (m, [x]) => signArith(m, x), zeroDerivative);
const absP = unaryPrimitive('abs', (m, x) => m.abs(x), (g, _out, x) => mul(g, apply(signP, [x], undefined)));
const squareP = unaryPrimitive('square', (m, x) => m.mul(x, x), (g, _out, x) => mul(g, mulScalar(x, 2)));
const sigmoidArith = <V>(m: Arith<V>, x: V) => m.div(m.const(1), m.add(m.const(1), m.exp(m.neg(x))));
const sigmoidP = unaryPrimitive('sigmoid', sigmoidArith, (g, out) => mul(g, mul(out, addScalar(neg(out), 1))));
// log(1 + e^x) = max(x, 0) + log(1 + e^-|x|): no overflow for large |x|
const softplusP = unaryPrimitive(
  'softplus',
  (m, x) => m.add(m.max(x, m.const(0)), m.log(m.add(m.const(1), m.exp(m.neg(m.abs(x)))))),
  (g, _out, x) => mul(g, apply(sigmoidP, [x], undefined)),
);
const sinP: Primitive<void> = unaryPrimitive('sin', (m, x) => m.sin(x), (g, _out, x) => mul(g, apply(cosP, [x], undefined)));
const cosP: Primitive<void> = unaryPrimitive('cos', (m, x) => m.cos(x), (g, _out, x) => neg(mul(g, apply(sinP, [x], undefined))));
// Small |x| by the Taylor series (GPUs' log and exp are not accurate enough near 1 for the
// classic tricks), else log(u)·x / (u − 1) with u = 1 + x (Goldberg) and (u − 1)·x / log(u) with u = e^x (Kahan).
const series = <V>(m: Arith<V>, x: V, terms: readonly number[]) => m.mul(x, terms.reduceRight((acc: V, c) => m.add(m.const(c), m.mul(x, acc)), m.const(0)));
const small = <V>(m: Arith<V>, x: V, near: V, far: () => V) => m.ifLess(m.abs(x), m.const(0.01), near, far());
const log1pP = unaryPrimitive(
  'log1p',
  (m, x) => {
    const u = m.bind(m.add(m.const(1), x));
    return small(m, x, series(m, x, [1, -1 / 2, 1 / 3, -1 / 4, 1 / 5, -1 / 6]), () => m.div(m.mul(m.log(u), x), m.sub(u, m.const(1))));
  },
  (g, _out, x) => mul(g, apply(reciprocalP, [addScalar(x, 1)], undefined)),
);
const reciprocalP = unaryPrimitive('reciprocal', (m, x) => m.div(m.const(1), x), (g, out) => neg(mul(g, mul(out, out))));
const expm1P = unaryPrimitive(
  'expm1',
  (m, x) => {
    const u = m.bind(m.exp(x));
    return small(m, x, series(m, x, [1, 1 / 2, 1 / 6, 1 / 24, 1 / 120, 1 / 720]), () => m.div(m.mul(m.sub(u, m.const(1)), x), m.log(u)));
  },
  (g, out) => mul(g, addScalar(out, 1)),
);
const twoOverSqrtPi = 1.1283791670955126;
const erfP = unaryPrimitive('erf', (m, x) => erfArith(m, x), (g, _out, x) => mul(g, mulScalar(apply(gaussP, [x], undefined), twoOverSqrtPi)));
const gaussP = unaryPrimitive('gauss', (m, x) => m.exp(m.neg(m.mul(x, x))), (g, out, x) => mul(g, mul(out, mulScalar(x, -2))));

/** |x| (gradient sign(x), 0 at 0 as PyTorch). */
export const abs = unary(absP);
/** −1, 0 or 1 (gradient 0). */
export const sign = unary(signP);
export const square = unary(squareP);
/** 1 / (1 + e^−x). */
export const sigmoid = unary(sigmoidP);
/** log(1 + e^x), computed without overflow. */
export const softplus = unary(softplusP);
export const sin = unary(sinP);
export const cos = unary(cosP);
/** log(1 + x), accurate for small x. */
export const log1p = unary(log1pP);
/** e^x − 1, accurate for small x. */
export const expm1 = unary(expm1P);
/** The error function (|error| ≤ 3e-7). */
export const erf = unary(erfP);
/** 1 / x. */
export const reciprocal = unary(reciprocalP);

interface ClipAttrs {
  readonly lo: number;
  readonly hi: number;
}
// the gradient passes where lo <= x <= hi (PyTorch's clamp); linear in g, a step in x
const clipGradP: Primitive<ClipAttrs> = elementwisePrimitive<ClipAttrs>(
  'clipGrad',
  (m, [x, g], { lo, hi }) => m.ifLess(x, m.const(lo), m.const(0), m.ifLess(m.const(hi), x, m.const(0), g)),
  (h, _out, [x], attrs) => [null, apply(clipGradP, [x, h], attrs)],
);
const clipP = elementwisePrimitive<ClipAttrs>('clip', (m, [x], { lo, hi }) => m.min(m.max(x, m.const(lo)), m.const(hi)), (g, _out, [x], attrs) => [apply(clipGradP, [x, g], attrs)]);

/** numpy's `clip(x, lo, hi)`: min(max(x, lo), hi). */
export function clip<S extends Shape>(x: Tensor<S>, lo: number, hi: number): Tensor<S> {
  if (!(lo <= hi)) throw new Error(`clip: lo ${lo} is above hi ${hi}`);
  return apply(clipP, [x], { lo, hi });
}
