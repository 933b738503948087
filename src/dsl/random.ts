// Seeded host-side randomness (initialization, dropout masks): identical on every backend.
import { Tensor, type Mutable } from './tensor.js';
import { sizeOf } from './shape-rules.js';
import type { Shape } from './shape-types.js';

/** mulberry32: small, fast, good enough for initialization and masks; deterministic per seed. */
export function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SeedOption {
  readonly seed: number;
}

/** Standard normal samples (Box–Muller). */
export function randn<const S extends Shape>(shape: S, { seed }: SeedOption): Tensor<Mutable<S>> {
  const next = generator(seed);
  const values = new Float32Array(sizeOf(shape));
  for (let k = 0; k < values.length; k += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - next()));
    const theta = 2 * Math.PI * next();
    values[k] = r * Math.cos(theta);
    if (k + 1 < values.length) values[k + 1] = r * Math.sin(theta);
  }
  return new Tensor(shape as Mutable<S>, null, [], undefined, values);
}

/** Uniform samples in [low, high). */
export function uniform<const S extends Shape>(shape: S, low: number, high: number, { seed }: SeedOption): Tensor<Mutable<S>> {
  const next = generator(seed);
  const values = new Float32Array(sizeOf(shape));
  for (let k = 0; k < values.length; k++) values[k] = low + (high - low) * next();
  return new Tensor(shape as Mutable<S>, null, [], undefined, values);
}
