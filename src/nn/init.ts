// Parameter initializers (torch semantics), seeded and identical on every backend.
import { full, uniform, type Mutable, type Tensor } from '../dsl/index.js';
import type { Shape } from '../dsl/shape-types.js';

/** torch.nn.init.xavier_uniform_ bound: fan_in = shape[1]·receptive, fan_out = shape[0]·receptive. */
export function xavierBound(shape: readonly number[]): number {
  if (shape.length < 2) throw new Error(`xavier init needs at least 2 dims, got [${shape.join(',')}]`);
  const receptive = shape.slice(2).reduce((p, d) => p * d, 1);
  return Math.sqrt(6 / (shape[1] * receptive + shape[0] * receptive));
}

/** A stream of per-parameter seeds derived from one seed, so adding a parameter does not shift the others' order. */
export function seedStream(seed: number): () => number {
  let state = (seed ^ 0x9e3779b9) >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state;
  };
}

export const xavierUniform = <const S extends Shape>(shape: S, seed: number): Tensor<Mutable<S>> => {
  const b = xavierBound(shape);
  return uniform(shape, -b, b, { seed });
};

export const zerosParam = <const S extends Shape>(shape: S): Tensor<Mutable<S>> => full(shape, 0);
export const onesParam = <const S extends Shape>(shape: S): Tensor<Mutable<S>> => full(shape, 1);

/** Reads one parameter by state_dict name, checked (at runtime) to have the given shape (a checkpoint's fromStateDict). */
export type ParameterReader = <const S extends Shape>(name: string, shape: S) => Tensor<Mutable<S>>;
