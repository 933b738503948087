// Elementwise math on four float lanes at once, for the webasm kernels elementwise primitives
// lower to (their `simd` rules): every operation emits its WebAssembly SIMD instruction into the
// function under construction and names its result as a fresh v128 local.
import type { Arith } from '../arith.js';
import { v128, type FunctionBody } from './wasm-emit.js';

/** A v128 local holding four float lanes (or a lane mask, from a comparison). */
export type SimdValue = number;

export class Simd implements Arith<SimdValue> {
  constructor(private readonly f: FunctionBody) {}

  private result(): SimdValue {
    const local = this.f.local(v128);
    this.f.set(local);
    return local;
  }
  private binary(a: SimdValue, b: SimdValue, op: (f: FunctionBody) => void): SimdValue {
    op(this.f.get(a).get(b));
    return this.result();
  }
  private unary(a: SimdValue, op: (f: FunctionBody) => void): SimdValue {
    op(this.f.get(a));
    return this.result();
  }

  /** Four floats at the byte pointer held in i32 local `pointer`. */
  load(pointer: number): SimdValue {
    this.f.get(pointer).v128Load();
    return this.result();
  }
  /** `v`'s lanes where `keep` has all bits set, `other`'s elsewhere. */
  blend(v: SimdValue, other: SimdValue, keep: readonly [number, number, number, number]): SimdValue {
    this.f.get(v).get(other).v128ConstBits(keep).v128Bitselect();
    return this.result();
  }
  const(c: number): SimdValue {
    this.f.v128Const([c, c, c, c]);
    return this.result();
  }
  add = (a: SimdValue, b: SimdValue) => this.binary(a, b, (f) => f.f32x4Add());
  sub = (a: SimdValue, b: SimdValue) => this.binary(a, b, (f) => f.f32x4Sub());
  mul = (a: SimdValue, b: SimdValue) => this.binary(a, b, (f) => f.f32x4Mul());
  div = (a: SimdValue, b: SimdValue) => this.binary(a, b, (f) => f.f32x4Div());
  min = (a: SimdValue, b: SimdValue) => this.binary(a, b, (f) => f.f32x4Min());
  max = (a: SimdValue, b: SimdValue) => this.binary(a, b, (f) => f.f32x4Max());
  neg = (a: SimdValue) => this.unary(a, (f) => f.f32x4Neg());
  abs = (a: SimdValue) => this.unary(a, (f) => f.f32x4Abs());
  sqrt = (a: SimdValue) => this.unary(a, (f) => f.f32x4Sqrt());
  ifLess = (a: SimdValue, b: SimdValue, x: SimdValue, y: SimdValue) => this.select(this.binary(a, b, (f) => f.f32x4Lt()), x, y);
  ifEqual = (a: SimdValue, b: SimdValue, x: SimdValue, y: SimdValue) => this.select(this.binary(a, b, (f) => f.f32x4Eq()), x, y);
  bind = (a: SimdValue) => a;
  /** No SIMD instructions: ops using these run gpu.js's kernels (webasm-elementwise.ts checks first). */
  static readonly lacks: ReadonlySet<keyof Arith<unknown>> = new Set(['exp', 'log', 'tanh', 'sin', 'cos', 'pow'] as const);
  exp = (): SimdValue => this.lacking('exp');
  log = (): SimdValue => this.lacking('log');
  tanh = (): SimdValue => this.lacking('tanh');
  sin = (): SimdValue => this.lacking('sin');
  cos = (): SimdValue => this.lacking('cos');
  pow = (): SimdValue => this.lacking('pow');
  private lacking(name: string): never {
    throw new Error(`internal: no SIMD ${name}`);
  }

  /** `mask ? x : y` per lane (a mask lane is all ones or all zeros). */
  private select(mask: SimdValue, x: SimdValue, y: SimdValue): SimdValue {
    this.f.get(x).get(y).get(mask).v128Bitselect();
    return this.result();
  }
}
