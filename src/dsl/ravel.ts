// jax.flatten_util.ravel_pytree: a tree's tensors as one flat vector (each raveled row-major, in
// the tree's leaf order), and the function that cuts such a vector back into that tree. What lets
// an optimizer update every parameter in a few kernels over one buffer (optax.flatten).
import { concatAll, reshape, sliceAxis } from './ops/layout.js';
import type { Tensor } from './tensor.js';
import { tensorsIn, unflatten } from './tree.js';

/** A tree's tensors concatenated into one vector, and the inverse: a vector of that length back into the tree. */
export function ravelPytree<T>(tree: T): [Tensor<[number]>, (flat: Tensor<[number]>) => T] {
  const leaves = tensorsIn(tree);
  if (!leaves.length) throw new Error('ravelPytree: the tree holds no tensors');
  const flat = concatAll(leaves.map((t) => reshape(t, [t.size])), 0) as Tensor<[number]>;
  const unravel = (v: Tensor<[number]>): T => {
    if (v.shape.length !== 1 || v.size !== flat.size) throw new Error(`ravelPytree: unravel takes a vector of ${flat.size} floats, got ${v}`);
    let at = 0;
    return unflatten(tree, leaves.map((t) => reshape(sliceAxis(v, 0, at, (at += t.size)), [...t.shape])));
  };
  return [flat, unravel];
}
