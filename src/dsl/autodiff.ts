// Reverse-mode autodiff over pytrees: trace f on the given tensors (ops only record the graph),
// then walk it backwards once, applying each primitive's VJP and summing cotangents.
//
// A pullback owns a record of the graph it differentiates (each node's primitive, inputs and
// attributes, JAX's residuals): realizing a tensor turns it into a leaf (runtime.ts drops its
// history), so the pullback must not read the history from the tensors themselves. Realized nodes
// serve their values to the VJP rules; the others are recomputed from their inputs.
import { Tensor } from './tensor.js';
import { add } from './ops/elementwise.js';
import { concatAll, padP, type PadAttrs } from './ops/layout.js';
import { constant, postOrder } from './tensor.js';
import { tensorsIn, zipTrees } from './tree.js';
import { cotangentShape, scalarShape } from './shape-rules.js';
import { holdInScope } from './runtime.js';
import type { Shape } from './shape-types.js';
import { forwardTable, recordBackward, replayBackward, type ForwardNode } from './backward-tape.js';
import { madeBy } from './graph-tape.js';

/** The nodes between an output and the inputs differentiated (each as computed when the pullback was made), and the tensors cotangents flow to (those nodes and the inputs). */
interface RecordedGraph {
  readonly nodes: readonly ForwardNode[];
  readonly relevant: ReadonlySet<Tensor>;
}

/**
 * The nodes between `out` and `wrt` (those on a path to one of them), inputs before their users.
 * A node on that path with no recorded primitive would make its cotangent silently zero: it throws.
 */
function recordGraph(out: Tensor, wrt: readonly Tensor[]): RecordedGraph {
  const targets = new Set(wrt);
  const order = postOrder([out], (t) => targets.has(t));
  const relevant = new Set<Tensor>(wrt);
  const nodes: ForwardNode[] = [];
  for (const t of order) {
    if (targets.has(t) || !t.inputs.some((i) => relevant.has(i))) continue;
    relevant.add(t);
    nodes.push({ node: t, op: t.op!, inputs: t.inputs, attrs: t.attrs });
  }
  return { nodes, relevant };
}

/** Cotangents of `wrt` for output cotangent `seed`, over a recorded graph; inputs it does not reach get none. */
function backward({ nodes: graph, relevant }: RecordedGraph, out: Tensor, seed: Tensor, wrt: readonly Tensor[]): Map<Tensor, Tensor> {
  // each tensor's cotangent contributions, summed once all are in (sumCotangents)
  const contributions = new Map<Tensor, Tensor[]>([[out, [seed]]]);
  const total = (t: Tensor) => {
    const list = contributions.get(t);
    return list && sumCotangents(list);
  };
  for (let k = graph.length - 1; k >= 0; k--) {
    const { node, op, inputs, attrs } = graph[k];
    const g = total(node);
    if (!g) continue;
    // loud, as tinygrad's gradient.py: a silent skip would give wrong (zero) gradients
    if (!op.vjp) throw new Error(`autodiff: ${op.name} has no VJP, but Tensor[${node.shape.join(',')}] (${op.name}) lies between the output and an input being differentiated`);
    const grads = op.vjp(g, node, inputs, attrs);
    if (grads.length !== inputs.length) {
      throw new Error(`autodiff: the VJP of ${op.name} returned ${grads.length} cotangents for ${inputs.length} inputs`);
    }
    inputs.forEach((input, i) => {
      const gi = grads[i];
      if (!gi || !relevant.has(input)) return;
      const list = contributions.get(input);
      if (list) list.push(gi);
      else contributions.set(input, [gi]);
    });
  }
  return new Map(wrt.flatMap((t) => (contributions.has(t) ? [[t, total(t)!] as const] : [])));
}

const isZeroPad = (t: Tensor) => t.op === padP && !(t.attrs as PadAttrs).value;

/**
 * The sum of cotangent contributions, in order. Consecutive zero pads whose windows tile one axis
 * (the cotangents of a tensor's slices: chunk's q, k and v) are one concat of the slices'
 * cotangents: one kernel, not a pad each and their sum, and the same values (each element has one
 * nonzero term among them).
 */
function sumCotangents(list: readonly Tensor[]): Tensor {
  if (list.length === 1) return list[0];
  const first = list.findIndex(isZeroPad);
  let terms = list;
  if (first >= 0) {
    const { axis, length } = list[first].attrs as PadAttrs;
    let end = first;
    while (end < list.length && isZeroPad(list[end]) && (list[end].attrs as PadAttrs).axis === axis) end++;
    const pieces = list.slice(first, end).sort((a, b) => (a.attrs as PadAttrs).start - (b.attrs as PadAttrs).start);
    let at = 0;
    for (const p of pieces) at = (p.attrs as PadAttrs).start === at && (p.attrs as PadAttrs).length === length ? (p.attrs as PadAttrs).end : -1;
    if (pieces.length > 1 && at === length) terms = [...list.slice(0, first), concatAll(pieces.map((p) => p.inputs[0]), axis), ...list.slice(end)];
  }
  return terms.reduce((sum, t) => add(sum, t));
}

/**
 * Runs `build` and disposes the nodes it made that its kept results do not need: VJPs also build
 * cotangents for inputs nobody asked about, and a dead node left pending would be computed as a
 * pending sibling of the next evaluation (runtime.ts). Also returns the nodes kept, in the order
 * they were made.
 */
function pruned<R>(build: () => R, kept: (result: R) => readonly (Tensor | undefined)[]): [R, Tensor[]] {
  const { result, live, dead } = madeBy(build, kept);
  for (const t of dead) t.dispose();
  return [result, live];
}

/** The cotangents of `leaves` for output cotangent `seed`: replayed from an earlier graph of the same structure (backward-tape.ts), else by the VJP rules. */
function cotangentsOf(recorded: RecordedGraph, out: Tensor, seed: Tensor, leaves: readonly Tensor[]): ReadonlyMap<Tensor, Tensor> {
  const table = forwardTable(leaves, recorded.nodes, out, seed);
  const replayed = replayBackward(table, recorded.nodes);
  if (replayed) return replayed;
  const [cotangents, made] = pruned(() => backward(recorded, out, seed, leaves), (c) => leaves.map((t) => c.get(t)));
  recordBackward(table, recorded.nodes, made, cotangents);
  return cotangents;
}

/**
 * A pullback: cotangent of the output ↦ cotangents of the inputs (a pytree like them). Callable any
 * number of times, whatever is evaluated in between; `dispose()` (or the end of the `tidy` scope it
 * was made in, unless the scope returns it) releases the graph it holds, and calling it afterwards
 * is an error.
 */
export type Pullback<S extends Shape, P> = ((g: Tensor<S>) => P) & { dispose(): void; readonly disposed: boolean };

/** y = f(x) and the pullback g ↦ gᵀ ∂f/∂x, with the cotangent shaped like x. */
export function vjp<P, S extends Shape>(f: (x: P) => Tensor<S>, x: P): [Tensor<S>, Pullback<S, P>] {
  const y = f(x);
  const leaves = tensorsIn(x);
  let graph: RecordedGraph | null = recordGraph(y, leaves);
  const residuals = () => (graph ? [y, ...graph.nodes.flatMap((r) => [r.node, ...r.inputs])] : []);
  const pullback = (g: Tensor<S>): P => {
    if (!graph) throw new Error('vjp: this pullback was disposed');
    const recorded = graph;
    cotangentShape(g.shape, y.shape);
    for (const r of recorded.nodes) {
      const gone = r.node.disposed ? r.node : r.inputs.find((t) => t.disposed);
      if (gone) {
        const what = gone === r.node ? `the result of ${r.op.name}` : `an input of ${r.op.name}`;
        throw new Error(`vjp: ${what} (${gone}), which this pullback needs, was disposed; keep it while the pullback is used`);
      }
    }
    const cot = cotangentsOf(recorded, y, g, leaves);
    // f does not depend on these leaves at all: their gradient is zero, as in JAX
    return zipTrees([x], (t) => cot.get(t) ?? constant(new Float32Array(t.size), t.shape));
  };
  const dispose = () => {
    graph = null;
  };
  const held = Object.assign(pullback, { dispose }) as Pullback<S, P>;
  Object.defineProperty(held, 'disposed', { get: () => graph === null });
  holdInScope(held, residuals);
  return [y, held];
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
    const grads = pullback(constant(new Float32Array(value.size).fill(1), value.shape));
    pullback.dispose();
    return [value as V, grads];
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
