// checkpoint (rematerialization, JAX's jax.checkpoint / remat): f's intermediates are not kept for
// the backward pass; its VJP traces f again on the saved arguments and differentiates that copy, so
// between the forward and the backward pass only f's arguments stay live.
import type { Tensor } from '../tensor.js';
import { vjp } from '../autodiff.js';
import { tensorsIn, unflatten } from '../tree.js';
import { customVjp } from './custom-vjp.js';
import type { Shape } from '../shape-types.js';

/**
 * f, with the same value and gradients, recomputing its intermediates in the backward pass instead
 * of keeping them: less memory at the peak of a backward pass, one more forward of f. Arguments are
 * pytrees of tensors (a layer's parameters and its input, say).
 */
export function checkpoint<A extends unknown[], S extends Shape>(f: (...args: A) => Tensor<S>): (...args: A) => Tensor<S> {
  return (...args: A): Tensor<S> => {
    const leaves = tensorsIn(args);
    const flat = (...ls: Tensor[]): Tensor<S> => f(...unflatten(args, ls));
    const remat = customVjp(
      flat,
      (...ls: Tensor[]) => [flat(...ls), ls] as const,
      (ls: Tensor[], g: Tensor<S>) => {
        const [, pullback] = vjp((xs: Tensor[]) => flat(...xs), ls);
        const cotangents = pullback(g);
        pullback.dispose();
        return cotangents;
      },
    );
    return remat(...leaves);
  };
}
