// Dropout: x * mask / (1 - p) with a seeded Bernoulli mask made on the host, so a given seed drops
// the same elements on every backend. The seed is a number, or a per-call scalar tensor (a jit
// input) whose value the mask kernel reads when it runs: the same seed gives the same mask either way.
import { apply, constant, type Primitive, type Tensor } from '../tensor.js';
import { definePrimitive, zeroDerivative } from '../primitive.js';
import { ShapeError } from '../shape-error.js';
import { reshape } from './layout.js';
import { generator } from '../random.js';
import type { Shape } from '../shape-types.js';
import { scalarShape, sizeOf } from '../shape-rules.js';
import { mul } from './elementwise.js';

/** A dropout seed: a number, or a scalar tensor holding an integer below 2^24 plus a fixed offset. */
export type Seed = number | { readonly base: Tensor<[]>; readonly offset: number };

/** The seed `k` further on (per layer, say). */
export const offsetSeed = (seed: Seed, k: number): Seed => (typeof seed === 'number' ? seed + k : { base: seed.base, offset: seed.offset + k });

function maskValues(seed: number, size: number, p: number): Float32Array {
  const next = generator(seed);
  const keep = 1 / (1 - p);
  const mask = new Float32Array(size);
  for (let k = 0; k < mask.length; k++) mask[k] = next() < p ? 0 : keep;
  return mask;
}

interface MaskAttrs {
  readonly shape: readonly number[];
  readonly p: number;
  readonly offset: number;
}

// seeds [] or [n] (under vmap, one per example): one mask per seed, stacked in front
const dropoutMaskP: Primitive<MaskAttrs> = definePrimitive({
  name: 'dropoutMask',
  transforms: ['vjp', 'batch'],
  shape: ([seeds], { shape }: MaskAttrs) => {
    if (seeds.length > 1) throw new ShapeError(`dropout seeds must be a scalar or a vector, got [${seeds.join(', ')}]`);
    return [...seeds, ...shape];
  },
  lowering: {
    kernel: (out, [seeds], { shape, p, offset }) => async (backend, [stored]) => {
      const values = await backend.read(stored);
      const size = sizeOf(shape);
      const masks = new Float32Array(out.size);
      for (let k = 0; k < seeds.size; k++) masks.set(maskValues(Math.round(values[k]) + offset, size, p), k * size);
      return backend.upload(masks);
    },
  },
  // the mask does not depend smoothly on its seed
  vjp: zeroDerivative,
  batch: ([seeds], _b, attrs) => {
    const [size, ...rest] = seeds.shape;
    const flat = reshape(seeds, [seeds.size]);
    return reshape(apply(dropoutMaskP, [flat], attrs), [size, ...rest, ...attrs.shape]);
  },
});

export function dropout<S extends Shape>(x: Tensor<S>, p: number, seed: Seed): Tensor<S> {
  if (!(p >= 0 && p < 1)) throw new Error(`dropout probability ${p} is not in [0, 1)`);
  if (p === 0) return x;
  if (typeof seed !== 'number') scalarShape(seed.base.shape, 'dropout seed');
  const mask: Tensor<S> =
    typeof seed === 'number' ? constant(maskValues(seed, x.size, p), x.shape) : apply<S, MaskAttrs>(dropoutMaskP, [reshape(seed.base, [])], { shape: x.shape, p, offset: seed.offset });
  return mul(x, mask);
}
