// Dropout: x * mask / (1 - p) with a seeded Bernoulli mask made on the host, so a given seed drops
// the same elements on every backend.
import { constant, type Tensor } from '../tensor.js';
import { generator } from '../random.js';
import type { Shape } from '../shape-types.js';
import { mul } from './elementwise.js';

export function dropout<S extends Shape>(x: Tensor<S>, p: number, seed: number): Tensor<S> {
  if (!(p >= 0 && p < 1)) throw new Error(`dropout probability ${p} is not in [0, 1)`);
  if (p === 0) return x;
  const next = generator(seed);
  const keep = 1 / (1 - p);
  const mask = new Float32Array(x.size);
  for (let k = 0; k < mask.length; k++) mask[k] = next() < p ? 0 : keep;
  return mul(x, constant(mask, x.shape));
}
