// The transformer MLP: Linear(E -> D), exact GELU, Dropout, Linear(D -> E) (torch mlp.0 / mlp.3).
import { dropout, gelu, type Seed, type Tensor } from '../dsl/index.js';
import type { Shape } from '../dsl/shape-types.js';
import { initLinear, linear, type Linear } from './linear.js';

export interface Mlp<E extends number, D extends number> {
  readonly fc1: Linear<E, D>;
  readonly fc2: Linear<D, E>;
}

export function initMlp<const E extends number, const D extends number>(dim: E, hidden: D, seed: () => number): Mlp<E, D> {
  return { fc1: initLinear(dim, hidden, seed()), fc2: initLinear(hidden, dim, seed()) };
}

export function mlp<R extends Shape, M extends number, E extends number, D extends number>(
  p: Mlp<E, D>,
  x: Tensor<[...R, M, NoInfer<E>]>,
  options: { readonly dropout?: number; readonly seed?: Seed } = {},
): Tensor<[...R, M, E]> {
  const hidden = gelu(linear(p.fc1, x));
  return linear(p.fc2, options.dropout ? dropout(hidden, options.dropout, options.seed ?? 0) : hidden);
}
