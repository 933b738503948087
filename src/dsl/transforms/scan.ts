// scan: a loop over the leading axis of xs carrying state (JAX's lax.scan). Ops only record the
// graph, so the loop is unrolled into it (JAX's scan with unroll = T): grad, vmap and jit see
// ordinary primitives, and a jitted scan is one plan.
import { Tensor } from '../tensor.js';
import { take as takeTyped } from '../ops/layout.js';
import { stack as stackTyped } from '../ops/structure.js';
import { ShapeError } from '../shape-error.js';
import { tensorsIn } from '../tree.js';
import type { Shape } from '../shape-types.js';

// runtime boundary: the shapes below are computed from xs and checked by each op's shape rule
const take = takeTyped as (x: Tensor, axis: number, index: number) => Tensor;
const stack = stackTyped as (list: readonly Tensor[], axis: number) => Tensor;

/**
 * `f` over the leading axis of `xs` (T steps), threading a carry (any pytree of tensors):
 * `scan(f, init, xs) → [finalCarry, ys]` with `f(carry, x) → [carry, y]`; ys stacks the T outputs
 * along a new leading axis. The carry must keep its shapes from step to step.
 */
export function scan<C, X extends Shape, Y extends Shape, T extends number>(
  f: (carry: C, x: Tensor<X>) => readonly [C, Tensor<Y>],
  init: C,
  xs: Tensor<[T, ...X]>,
): [C, Tensor<[T, ...Y]>] {
  if (!xs.shape.length || xs.shape[0] === 0) throw new ShapeError(`scan: xs needs a leading axis of at least one step, got [${xs.shape}]`);
  let carry = init;
  const ys: Tensor[] = [];
  let yShape: readonly number[] | null = null;
  for (let t = 0; t < xs.shape[0]; t++) {
    const [next, y] = f(carry, take(xs, 0, t) as Tensor<X>);
    const before = tensorsIn(carry).map((c) => c.shape.join());
    tensorsIn(next).forEach((c, k) => {
      if (c.shape.join() !== before[k]) throw new ShapeError(`scan: step ${t} changed carry tensor ${k} from [${before[k]}] to [${c.shape}]`);
    });
    if (yShape && y.shape.join() !== yShape.join()) throw new ShapeError(`scan: step ${t} returned y of shape [${y.shape}], step 0 [${yShape}]`);
    yShape = y.shape;
    carry = next;
    ys.push(y);
  }
  return [carry, stack(ys, 0) as Tensor<[T, ...Y]>];
}
