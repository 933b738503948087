// argmax / argmin over any axis (numpy's: no axis is the flat index over all elements), ties to
// the first index. Indices are float32 holding integers. Their derivative is zero wherever it
// exists (an index is piecewise constant), so the VJP gives no cotangent, deliberately, as JAX's
// (stopGradient semantics): a loss that uses an index is differentiated as if it were a constant.
import { apply, type Primitive, type Tensor } from '../tensor.js';
import { definePrimitive, zeroDerivative } from '../primitive.js';
import { nonEmptyAxes, normalizeAxis, reduceShape } from '../shape-rules.js';
import type { AxisIndex, CheckAxis, Reduced, Shape } from '../shape-types.js';
import { kernelSource, singleKernel } from '../kernel-source.js';
import { reshape } from './layout.js';

interface ArgAttrs {
  readonly axis: number;
  /** argmax when true, argmin when false */
  readonly largest: boolean;
}

const argReduceP: Primitive<ArgAttrs> = definePrimitive({
  name: 'argReduce',
  transforms: ['vjp', 'jvp', 'batch'],
  // the axis is kept as 1; the public functions reshape
  shape: ([x], { axis }: ArgAttrs) => reduceShape(x, axis, true),
  lowering: {
    kernel: (out, [x], { axis, largest }) => {
      const length = x.shape[axis];
      const inner = x.shape.slice(axis + 1).reduce((p, d) => p * d, 1);
      // strictly better only: the first of tied values wins (numpy)
      const better = largest ? 'v > best' : 'v < best';
      const body =
        `const o = Math.floor((i + 0.5) / ${inner});\n  const base = o * ${length * inner} + (i - o * ${inner});\n` +
        `  let best = x[base];\n  let at = 0.0;\n` +
        `  for (let l = 1; l < ${length}; l++) {\n    const v = x[base + l * ${inner}];\n    if (${better}) { best = v; at = l; }\n  }\n  return at;`;
      return singleKernel(kernelSource(['x'], body), out.size);
    },
  },
  vjp: zeroDerivative,
  jvp: () => null,
  batch: ([x], _b, attrs) => apply(argReduceP, [x], { ...attrs, axis: attrs.axis + 1 }),
});

/**
 * An index reduction, as numpy's argmax: no axis gives the flat index over all elements; an axis
 * (negative counts from the end) is dropped, or kept as 1 with `keepDims`. Overloads as `Reduction`
 * (one axis, not a list).
 */
export interface ArgReduction {
  <S extends Shape, K extends boolean = false>(x: Tensor<S>, axis?: undefined, keepDims?: K): Tensor<K extends true ? Reduced<S, AxisIndex<S>, true> : []>;
  <S extends Shape, const Ax extends AxisIndex<S>, K extends boolean = false>(x: Tensor<S>, axis: Ax, keepDims?: K): Tensor<Reduced<S, Ax, K>>;
  <R extends Shape, D extends number, K extends boolean = false>(x: Tensor<[...R, D]>, axis: -1, keepDims?: K): Tensor<K extends true ? [...R, 1] : R>;
  <S extends Shape, const Ax extends number, K extends boolean = false>(x: Tensor<S>, axis: Ax & CheckAxis<S, Ax>, keepDims?: K): Tensor<Reduced<S, Ax, K>>;
}

// runtime boundary: reduceShape computes the shape each overload states
const argReduction = (largest: boolean) =>
  ((x: Tensor, axis?: number, keepDims = false): Tensor => {
    const out = reduceShape(x.shape, axis, keepDims);
    nonEmptyAxes(largest ? 'argmax' : 'argmin', x.shape, axis);
    if (axis === undefined) return reshape(apply(argReduceP, [reshape(x, [x.size])], { axis: 0, largest }), out);
    return reshape(apply(argReduceP, [x], { axis: normalizeAxis(axis, x.shape.length), largest }), out);
  }) as ArgReduction;

/** Index of the largest value along `axis` (the flat index over everything without one), first on ties; no gradient. */
export const argmax = argReduction(true);
/** Index of the smallest value along `axis` (the flat index over everything without one), first on ties; no gradient. */
export const argmin = argReduction(false);
