// Forward mode and Jacobians, derived from reverse mode (JAX's linearize + linear_transpose): the
// pullback u ↦ J(x)ᵀ u is linear in u, so the VJP of that map, applied to a tangent v, is J(x) v.
// This differentiates the VJP rules themselves; one whose graph has a primitive without a VJP rule
// fails naming that primitive.
import { constant, Tensor } from '../tensor.js';
import { vjp } from '../autodiff.js';
import { vmap } from '../vmap.js';
import { reshape as reshapeTyped, transpose } from '../ops/layout.js';
import { add, mul } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import { ShapeError } from '../shape-error.js';
import type { Shape } from '../shape-types.js';

/**
 * f's value at `primals` and its directional derivative along `tangents` (one tangent per primal,
 * shaped like it): `jvp(f, [x], [v]) → [f(x), J(x) v]`.
 */
export function jvp<A extends Tensor[], S extends Shape>(f: (...args: A) => Tensor<S>, primals: readonly [...A], tangents: readonly [...NoInfer<A>]): [Tensor<S>, Tensor<S>] {
  if (tangents.length !== primals.length) throw new Error(`jvp: ${tangents.length} tangents for ${primals.length} primals`);
  tangents.forEach((v, k) => {
    if (v.shape.join() !== primals[k].shape.join()) throw new ShapeError(`jvp: tangent ${k} is [${v.shape}], its primal [${primals[k].shape}]`);
  });
  const [out, pullback] = vjp((xs: A) => f(...xs), [...primals] as A);
  // the value of u does not matter: the pullback is linear in it
  const u = constant(new Float32Array(out.size), out.shape);
  // ⟨J(x)ᵀ u, v⟩ is linear in u with gradient J(x) v
  const pairing = (g: Tensor<S>): Tensor<[]> => pullback(g).map((c, k) => sum(mul(c, tangents[k]))).reduce((a, b) => add(a, b));
  const [, transposed] = vjp(pairing, u);
  const tangentOut = transposed(constant(new Float32Array([1]), []));
  pullback.dispose();
  transposed.dispose();
  return [out, tangentOut];
}

/** The Jacobian of f at x, `Tensor<[...O, ...I]>` for f: `Tensor<I> → Tensor<O>`, column by column (one JVP per input element, batched). */
export function jacfwd<I extends Shape, O extends Shape>(f: (x: Tensor<I>) => Tensor<O>): (x: Tensor<I>) => Tensor<[...O, ...I]> {
  return (x) => {
    const n = x.size;
    const basis = constant(identity(n), [n, ...x.shape]);
    // one JVP per input element, as one batched one: [n, ...O]
    const columns = vmap((v: Tensor) => jvp((y: Tensor<I>) => f(y), [x], [v as Tensor<I>])[1], { inAxes: 0 })(basis) as Tensor;
    const m = columns.size / n;
    return reshape(transpose(reshape(columns, [n, m]) as Tensor<[number, number]>), [...columnsShape(columns), ...x.shape]) as Tensor<[...O, ...I]>;
  };
}

/** The Jacobian of f at x, `Tensor<[...O, ...I]>` for f: `Tensor<I> → Tensor<O>`, row by row (one pullback per output element, batched). */
export function jacrev<I extends Shape, O extends Shape>(f: (x: Tensor<I>) => Tensor<O>): (x: Tensor<I>) => Tensor<[...O, ...I]> {
  return (x) => {
    const [out, pullback] = vjp(f, x);
    const m = out.size;
    const basis = constant(identity(m), [m, ...out.shape]);
    const rows = vmap((g: Tensor) => pullback(g as Tensor<O>) as Tensor, { inAxes: 0 })(basis) as Tensor;
    const jac = reshape(rows, [...out.shape, ...x.shape]) as Tensor<[...O, ...I]>;
    return jac;
  };
}

/** The Hessian of a scalar-valued f at x, `Tensor<[...I, ...I]>` (jacfwd of jacrev, as in JAX). */
export function hessian<I extends Shape>(f: (x: Tensor<I>) => Tensor<[]>): (x: Tensor<I>) => Tensor<[...I, ...I]> {
  return jacfwd((x: Tensor<I>) => jacrev(f)(x) as Tensor as Tensor<I>) as (x: Tensor<I>) => Tensor as (x: Tensor<I>) => Tensor<[...I, ...I]>;
}

// runtime boundary: shapes computed here are checked by the reshape's shape rule
const reshape = reshapeTyped as (x: Tensor, shape: readonly number[]) => Tensor;

function identity(n: number): Float32Array {
  const eye = new Float32Array(n * n);
  for (let k = 0; k < n; k++) eye[k * n + k] = 1;
  return eye;
}

/** The output shape O of columns [n, ...O]. */
const columnsShape = (columns: Tensor): readonly number[] => columns.shape.slice(1);
