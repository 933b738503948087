// Reverse-mode autodiff over pytrees: trace f on the given tensors (ops only record the graph),
// then walk it backwards once, applying each primitive's VJP and summing cotangents.
import { Tensor } from './tensor.js';
import { add } from './ops/elementwise.js';
import { constant, onTensorCreated, postOrder } from './tensor.js';
import { mapTree, tensorsIn } from './tree.js';
import { cotangentShape, scalarShape } from './shape-rules.js';
import type { Shape } from './shape-types.js';

/** Cotangents of `wrt` for output cotangent `seed`; inputs the output does not depend on get zeros. */
function backward(out: Tensor, seed: Tensor, wrt: readonly Tensor[]): Map<Tensor, Tensor> {
  const targets = new Set(wrt);
  const order = postOrder([out], (t) => targets.has(t)).reverse();
  // only nodes on a path to some target carry cotangents
  const relevant = new Set<Tensor>();
  for (let k = order.length - 1; k >= 0; k--) {
    const t = order[k];
    if (targets.has(t) || t.inputs.some((i) => relevant.has(i))) relevant.add(t);
  }
  const cotangents = new Map<Tensor, Tensor>([[out, seed]]);
  for (const t of order) {
    const g = cotangents.get(t);
    if (!g || targets.has(t) || !t.op || !relevant.has(t)) continue;
    // loud, as tinygrad's gradient.py: a silent skip would give wrong (zero) gradients
    if (!t.op.vjp) throw new Error(`autodiff: ${t.op.name} has no VJP, but ${t} lies between the output and an input being differentiated`);
    const grads = t.op.vjp(g, t, t.inputs, t.attrs);
    if (grads.length !== t.inputs.length) {
      throw new Error(`autodiff: the VJP of ${t.op.name} returned ${grads.length} cotangents for ${t.inputs.length} inputs`);
    }
    t.inputs.forEach((input, k) => {
      const gi = grads[k];
      if (!gi || !relevant.has(input)) return;
      const prev = cotangents.get(input);
      cotangents.set(input, prev ? add(prev, gi) : gi);
    });
  }
  return cotangents;
}

/**
 * Runs `build` and disposes the nodes it made that its kept results do not need: VJPs also build
 * cotangents for inputs nobody asked about, and a dead node left pending would be computed as a
 * pending sibling of the next evaluation (runtime.ts).
 */
function pruned<R>(build: () => R, kept: (result: R) => readonly (Tensor | undefined)[]): R {
  const made = new Set<Tensor>();
  const stop = onTensorCreated((t) => made.add(t));
  let result: R;
  try {
    result = build();
  } finally {
    stop();
  }
  const roots = kept(result).filter((t): t is Tensor => t !== undefined);
  const live = new Set(postOrder(roots, (t) => !made.has(t)));
  for (const t of made) if (!live.has(t)) t.dispose();
  return result;
}

/** y = f(x) and the pullback g ↦ gᵀ ∂f/∂x, with the cotangent shaped like x. */
export function vjp<P, S extends Shape>(f: (x: P) => Tensor<S>, x: P): [Tensor<S>, (g: Tensor<S>) => P] {
  const y = f(x);
  const pullback = (g: Tensor<S>): P => {
    cotangentShape(g.shape, y.shape);
    const leaves = tensorsIn(x);
    const cot = pruned(() => backward(y, g, leaves), (c) => leaves.map((t) => c.get(t)));
    return mapTree(x, (t) => cot.get(t) ?? constant(new Float32Array(t.size), t.shape));
  };
  return [y, pullback];
}

type ScalarTensor = Tensor<[]> | Tensor<[1]>;

/**
 * value and gradient of a scalar-valued f with respect to its first argument (a pytree of tensors);
 * further arguments (batches, integer labels) are not differentiated.
 */
export function valueAndGrad<P, R extends unknown[], V extends ScalarTensor>(f: (params: P, ...rest: R) => V): (params: P, ...rest: R) => [V, P] {
  return (params, ...rest) => {
    const [value, pullback] = vjp((p: P): Tensor => f(p, ...rest), params);
    scalarShape(value.shape, 'valueAndGrad');
    return [value as V, pullback(constant(new Float32Array(value.size).fill(1), value.shape))];
  };
}

/** Gradient of a scalar-valued f with respect to its first argument. */
export function grad<P, R extends unknown[]>(f: (params: P, ...rest: R) => ScalarTensor): (params: P, ...rest: R) => P {
  const vg = valueAndGrad(f);
  return (params, ...rest) => vg(params, ...rest)[1];
}

/**
 * Like valueAndGrad for f returning [scalar, aux]: aux (e.g. logits, for accuracy) shares the
 * forward graph and is not differentiated.
 */
export function valueAndGradWithAux<P, R extends unknown[], V extends ScalarTensor, A>(
  f: (params: P, ...rest: R) => readonly [V, A],
): (params: P, ...rest: R) => [V, A, P] {
  return (params, ...rest) => {
    let aux: A | undefined;
    const [value, grads] = valueAndGrad((p: P, ...r: R) => {
      const [v, a] = f(p, ...r);
      aux = a;
      return v;
    })(params, ...rest);
    return [value, aux as A, grads];
  };
}
