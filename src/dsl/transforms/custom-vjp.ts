// stopGradient and customVjp: two primitives whose VJP rules say what the gradient is instead of
// deriving it from the forward graph (JAX's stop_gradient and custom_vjp).
import { apply, onTensorCreated, postOrder, Tensor, type Primitive } from '../tensor.js';
import { definePrimitive, zeroDerivative } from '../primitive.js';
import { mapTree, tensorsIn } from '../tree.js';
import { vmap } from '../vmap.js';
import { ShapeError } from '../shape-error.js';
import type { Shape } from '../shape-types.js';

const stopGradientP = definePrimitive<void, 'vjp' | 'jvp'>({
  name: 'stopGradient',
  shape: ([s]) => s,
  lowering: { arith: (_m, [x]) => x },
  transforms: ['vjp', 'jvp'],
  vjp: zeroDerivative,
  jvp: () => null,
});

/** x, as a constant to differentiation: no cotangent flows back through it (JAX's stop_gradient). */
export function stopGradient<S extends Shape>(x: Tensor<S>): Tensor<S> {
  return apply(stopGradientP, [x], undefined);
}

/** One cotangent per argument of a customVjp function, null for none (zero). */
export type Cotangents<A extends readonly Tensor[]> = { [K in keyof A]: A[K] | null };

interface CustomAttrs {
  readonly arity: number;
  readonly residuals: unknown;
  readonly bwd: (residuals: any, g: Tensor) => readonly (Tensor | null)[];
}

// inputs: the arguments, then the primal value (which is the output), then the residuals'
// tensors, so that the residuals are consumed (never pending siblings) and kept with the graph
const customVjpP: Primitive<CustomAttrs> = definePrimitive<CustomAttrs, 'vjp' | 'batch'>({
  name: 'customVjp',
  shape: (inputs, { arity }) => inputs[arity],
  // the output is the primal value itself: its storage, shared (no kernel binds the other inputs)
  lowering: { kernel: (_out, _inputs, { arity }) => async (backend, args) => backend.retain(args[arity]) },
  transforms: ['vjp', 'batch'],
  vjp: (g, _out, inputs, { arity, residuals, bwd }) => {
    const grads = bwd(residuals, g);
    if (grads.length !== arity) throw new Error(`customVjp: bwd returned ${grads.length} cotangents for ${arity} arguments`);
    grads.forEach((c, k) => {
      if (c && c.shape.join() !== inputs[k].shape.join()) throw new ShapeError(`customVjp: bwd's cotangent ${k} is [${c.shape}], its argument [${inputs[k].shape}]`);
    });
    return [...grads, ...inputs.slice(arity).map(() => null)];
  },
  // every input batched; bwd mapped over the batch of residuals and cotangents
  batch: (inputs, batched, { arity, residuals, bwd }, axis) => {
    const all = inputs.map((t, k) => (batched[k] ? t : axis.expand(t)));
    let k = arity + 1;
    const batchedResiduals = mapTree(residuals, () => all[k++]);
    // runtime boundary: residuals and cotangent are batched along axis 0 here, whatever their shapes
    const mapped = vmap((r1: unknown, g1: Tensor) => bwd(r1, g1)) as (r: unknown, g: Tensor) => readonly (Tensor | null)[];
    const mappedBwd = (r: unknown, g: Tensor) => mapped(r, g);
    return apply(customVjpP, all, { arity, residuals: batchedResiduals, bwd: mappedBwd });
  },
});

/**
 * f with the gradient `bwd` gives (JAX's custom_vjp): `fwd(...args) → [out, residuals]` computes
 * f's value and what the backward pass needs, `bwd(residuals, g) → [one cotangent per argument,
 * null for none]`. The value is f's; fwd's residuals (any pytree of tensors) are computed with it.
 */
export function customVjp<A extends Tensor[], S extends Shape, R>(
  f: (...args: A) => Tensor<S>,
  fwd: (...args: A) => readonly [Tensor<NoInfer<S>>, R],
  bwd: (residuals: R, g: Tensor<S>) => Cotangents<NoInfer<A>>,
): (...args: A) => Tensor<S> {
  return (...args: A): Tensor<S> => {
    const value = f(...args);
    const made = new Set<Tensor>();
    const stop = onTensorCreated((t) => made.add(t));
    let out: Tensor, residuals: R;
    try {
      [out, residuals] = fwd(...args);
    } finally {
      stop();
    }
    if (out.shape.join() !== value.shape.join()) throw new ShapeError(`customVjp: fwd's output is [${out.shape}], f's [${value.shape}]`);
    const kept = tensorsIn(residuals);
    // fwd's own copy of the value is not used: left pending, it would be computed as a sibling
    const live = new Set(postOrder(kept, (t) => !made.has(t)));
    for (const t of made) if (!live.has(t)) t.dispose();
    const attrs: CustomAttrs = { arity: args.length, residuals, bwd: bwd as CustomAttrs['bwd'] };
    return apply<S, CustomAttrs>(customVjpP, [...args, value, ...kept], attrs);
  };
}
