// Float arithmetic written once for every lowering: math shared by several kernels (erf, an
// exp-free e^-w) is a function over `Arith<V>`, emitted as gpu.js source (`sourceArith`, V = an
// expression string) or as WebAssembly SIMD (`Simd` in kernels/wasm-simd.ts, V = a v128 local).
import { lit } from './kernel-source.js';

export interface Arith<V> {
  const(c: number): V;
  add(a: V, b: V): V;
  sub(a: V, b: V): V;
  mul(a: V, b: V): V;
  div(a: V, b: V): V;
  min(a: V, b: V): V;
  max(a: V, b: V): V;
  abs(a: V): V;
  neg(a: V): V;
  sqrt(a: V): V;
  /** Transcendentals: gpu.js's Math functions; backends without them natively say so in `lacks`. */
  exp(a: V): V;
  log(a: V): V;
  tanh(a: V): V;
  sin(a: V): V;
  cos(a: V): V;
  /** a^b (NaN for a negative a and a fractional b, as Math.pow) */
  pow(a: V, b: V): V;
  /** `a < b ? x : y` per element. */
  ifLess(a: V, b: V, x: V, y: V): V;
  /** `a == b ? x : y` per element. */
  ifEqual(a: V, b: V, x: V, y: V): V;
  /** Names a value used more than once (a kernel local in source; SIMD values are locals already). */
  bind(a: V): V;
}

/** gpu.js expressions; `local` binds a subexpression to a kernel local and returns its name. */
export function sourceArith(local: (expr: string) => string): Arith<string> {
  return {
    const: lit,
    add: (a, b) => `(${a} + ${b})`,
    sub: (a, b) => `(${a} - ${b})`,
    mul: (a, b) => `(${a} * ${b})`,
    div: (a, b) => `(${a} / ${b})`,
    min: (a, b) => `Math.min(${a}, ${b})`,
    max: (a, b) => `Math.max(${a}, ${b})`,
    abs: (a) => `Math.abs(${a})`,
    neg: (a) => `(-(${a}))`,
    sqrt: (a) => `Math.sqrt(${a})`,
    exp: (a) => `Math.exp(${a})`,
    log: (a) => `Math.log(${a})`,
    tanh: (a) => `Math.tanh(${a})`,
    sin: (a) => `Math.sin(${a})`,
    cos: (a) => `Math.cos(${a})`,
    pow: (a, b) => `Math.pow(${a}, ${b})`,
    ifLess: (a, b, x, y) => `(${a} < ${b} ? ${x} : ${y})`,
    ifEqual: (a, b, x, y) => `(${a} == ${b} ? ${x} : ${y})`,
    bind: local,
  };
}

/** The `Arith` operations `value` uses (it is traced over placeholder values). */
export function arithUses(value: <V>(m: Arith<V>) => V): Set<keyof Arith<unknown>> {
  const used = new Set<keyof Arith<unknown>>();
  const tracer = new Proxy({} as Arith<number>, {
    get: (_, name) => () => (used.add(name as keyof Arith<unknown>), 0),
  });
  value(tracer);
  return used;
}

/** c[0] + v * (c[1] + v * (...)), or with `alternate` c[0] - v * (c[1] - v * (...)). */
function horner<V>(m: Arith<V>, v: V, c: readonly number[], alternate = false): V {
  let acc = m.const(c[c.length - 1]);
  for (let k = c.length - 2; k >= 0; k--) acc = (alternate ? m.sub : m.add)(m.const(c[k]), m.mul(v, acc));
  return acc;
}

// Abramowitz & Stegun 7.1.28
const erfCoefficients = [1, 0.0705230784, 0.0422820123, 0.0092705272, 0.0001520143, 0.0002765672, 0.0000430638];

/** erf(z) = 1 - 1/p(|z|)^16 (A&S 7.1.28), |error| <= 3e-7, no exp. */
export function erf<V>(m: Arith<V>, z: V): V {
  const a = m.bind(m.abs(z));
  let power = m.bind(horner(m, a, erfCoefficients));
  for (let k = 0; k < 4; k++) power = m.bind(m.mul(power, power));
  const magnitude = m.bind(m.sub(m.const(1), m.div(m.const(1), power)));
  return m.ifLess(z, m.const(0), m.neg(magnitude), magnitude);
}

const expSeries = [1, 1, 1 / 2, 1 / 6, 1 / 24, 1 / 120];

/**
 * e^-w for w >= 0 as (e^(-w/256))^256 (a degree-5 series, then 8 squarings), w capped at 32
 * (relative error ~1e-6; e^-32 ~ 1e-14 stands in for anything smaller).
 */
export function expNegative<V>(m: Arith<V>, w: V): V {
  const v = m.bind(m.mul(m.min(w, m.const(32)), m.const(1 / 256)));
  let e = m.bind(horner(m, v, expSeries, true));
  for (let k = 0; k < 8; k++) e = m.bind(m.mul(e, e));
  return e;
}
