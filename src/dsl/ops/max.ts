// max over axes. Its gradient is shared evenly by the positions that attain the maximum (JAX's and
// torch.amax's rule), g / count where x == max, written in differentiable ops so that it can be
// differentiated again (the mask's derivative is zero: `equal`).
import { apply, type Primitive, type Tensor } from '../tensor.js';
import { definePrimitive } from '../primitive.js';
import { nonEmptyAxes, reduceShape } from '../shape-rules.js';
import { reduceKernel, reduction, sumP, type ReduceAttrs, type Reduction } from './reduce.js';
import { div, equal, mul } from './elementwise.js';

// keeps the reduced axis as 1 (the public function reshapes); batched, the axis moves up one
const maxP: Primitive<ReduceAttrs> = definePrimitive({
  name: 'max',
  transforms: ['vjp', 'batch'],
  shape: ([x], { axis }: ReduceAttrs) => reduceShape(x, axis, true),
  lowering: { kernel: reduceKernel('-3.4e38', (acc, v) => `Math.max(${acc}, ${v})`) },
  vjp: (g, out, [x], { axis }) => {
    const attained = equal(x, out);
    const count = apply(sumP, [attained], { axis, scale: 1 });
    return [mul(attained, div(g, count))];
  },
  batch: ([x], _b, { axis, scale }) => apply(maxP, [x], { axis: axis + 1, scale }),
});

const maxOver = reduction(maxP, false);
// runtime boundary: the overloads are maxOver's
/** Maximum over the given axes (all by default); an empty axis is an error naming it. */
export const max = ((x: Tensor, axis?: number | readonly number[], keepDims?: boolean) => {
  nonEmptyAxes('max', x.shape, axis);
  return (maxOver as (x: Tensor, axis?: number | readonly number[], keepDims?: boolean) => Tensor)(x, axis, keepDims);
}) as Reduction;
