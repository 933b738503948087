// vmap: f over a batch, by batching rules, not a loop. f is traced once on unbatched placeholders
// (ops only record the graph), then the graph is rebuilt node by node on the batched arguments:
// a node none of whose inputs is batched is kept as it is (work on broadcast arguments, params,
// is done once), every other one goes through its primitive's batching rule (JAX's
// primitive_batchers), which returns it with the mapped axis in front. Because grad only builds
// graph too, vmap(grad(loss)) gives per-example gradients, and jit compiles the result.
import { apply, onTensorCreated, postOrder, Tensor, type BatchAxis, type BatchRule, type Primitive } from './tensor.js';
import { isElementwise, ruleOf } from './primitive.js';
import { isRecord, kind, mapTree, tensorsIn, treeLeaves } from './tree.js';
import { normalizeAxis } from './shape-rules.js';
import { ShapeError } from './shape-error.js';
import type { Shape } from './shape-types.js';
import { permute, reshape } from './ops/layout.js';
import { broadcastToP } from './ops/reduce.js';

/** Where an argument's mapped axis is; null: the argument is not mapped (broadcast to every example). */
export type InAxis = number | null;

/**
 * An axis for a whole (sub)tree, or a tree prefix of it with one per subtree (JAX's in_axes /
 * out_axes): `{ w: null, b: 0 }` for an argument `{ w, b }` maps b only.
 */
export type AxisTree = InAxis | readonly AxisTree[] | { readonly [key: string]: AxisTree };

/** The axis trees that fit a value of type T: an axis for all of it, or (a container) one per entry. */
export type AxisPrefix<T> =
  | InAxis
  | (T extends Tensor ? never : T extends readonly unknown[] ? { readonly [K in keyof T]: AxisPrefix<T[K]> } : T extends object ? { readonly [K in keyof T]: AxisPrefix<T[K]> } : never);

/** `S` with dim `B` inserted at axis `Ax` (a non-negative literal; other axes give `number[]`). */
export type InsertDim<S extends Shape, Ax extends number, B extends number, Before extends number[] = []> = number extends Ax
  ? number[]
  : Before['length'] extends Ax
    ? [...Before, B, ...S]
    : S extends readonly [infer H extends number, ...infer R extends Shape]
      ? InsertDim<R, Ax, B, [...Before, H]>
      : number[];

/** A pytree with mapped dim `B` at axis `Ax` of every tensor in it. */
export type Batched<T, B extends number, Ax extends number = 0> =
  T extends Tensor<infer S>
    ? Tensor<InsertDim<S, Ax, B>>
    : T extends readonly unknown[]
      ? { [K in keyof T]: Batched<T[K], B, Ax> }
      : T extends object
        ? { [K in keyof T]: Batched<T[K], B, Ax> }
        : T;

/** A pytree batched by the axis tree `X`: dim `B` only at the tensors mapped with a number. */
export type BatchedBy<T, X, B extends number> = X extends null
  ? T
  : X extends number
    ? Batched<T, B, X>
    : T extends Tensor
      ? never
      : { [K in keyof T]: BatchedBy<T[K], K extends keyof X ? X[K] : never, B> };

type AxisOf<I> = I extends readonly [infer X, ...unknown[]] ? X : I extends number | null ? I : 0;
type RestOf<I> = I extends readonly [unknown, ...infer R] ? R : I;

/**
 * The batched arguments: mapped ones gain dim `B` at their axes. `B` is inferred from the first
 * mapped argument only, so a later one whose mapped axis has another size is a compile error.
 */
export type MapArgs<A extends readonly unknown[], I, B extends number, First extends boolean = true> = A extends readonly [infer H, ...infer T]
  ? AxisOf<I> extends null
    ? [H, ...MapArgs<T, RestOf<I>, B, First>]
    : [BatchedBy<H, AxisOf<I>, First extends true ? B : NoInfer<B>>, ...MapArgs<T, RestOf<I>, B, false>]
  : [];

/** inAxes for arguments A: one axis for all, or one axis tree per argument. */
export type InAxesOf<A extends readonly unknown[]> = InAxis | { readonly [K in keyof A]: AxisPrefix<A[K]> };

export interface VmapOptions<I, O> {
  /** per argument (or one for all): the axis it is mapped over, null for an argument shared by all, or a tree prefix of it (default 0) */
  readonly inAxes?: I;
  /** where the mapped axis goes in the outputs: one axis, or a tree prefix of the result (default 0) */
  readonly outAxes?: O;
}

/**
 * f mapped over a leading (or `inAxes`) axis of its arguments: `vmap((x: Tensor<[E]>) => ...)`
 * takes `Tensor<[B, E]>` for any B, and its result has B in front (or at `outAxes`). Arguments
 * with inAxes null are passed to every example as they are; an argument's entry may be a tree
 * prefix of it (`[{ w: null, b: 0 }, 0]`). Per-example gradients:
 * `vmap(grad(loss), { inAxes: [null, 0, 0] })(params, images, labels)`.
 */
export function vmap<A extends unknown[], R, const I extends InAxesOf<A> = 0, const O extends AxisPrefix<R> = 0>(
  f: (...args: A) => R,
  options: VmapOptions<I, O> = {},
): <B extends number>(...args: MapArgs<A, I, B>) => BatchedBy<R, O, B> {
  // runtime boundary: the trace rebuilds the structure of R with its tensors batched, as BatchedBy<R> states
  return ((...args: A) => mapped(f, args, (options.inAxes ?? 0) as AxisTree, (options.outAxes ?? 0) as AxisTree)) as unknown as <B extends number>(...args: MapArgs<A, I, B>) => BatchedBy<R, O, B>;
}

/**
 * The axis of every tensor of `tree` (in `tensorsIn` order) with its path, from the axis tree
 * `spec`, a prefix of `tree`; a spec that does not fit is an error naming its path.
 */
function leafAxes(spec: AxisTree, tree: unknown, path: string, out: Array<{ axis: InAxis; path: string }> = []): Array<{ axis: InAxis; path: string }> {
  if (spec === null || typeof spec === 'number') {
    if (spec !== null && !Number.isInteger(spec)) throw new Error(`vmap: ${path}: ${spec} is not an axis`);
    for (const [p] of treeLeaves(tree)) out.push({ axis: spec, path: p ? `${path}.${p}` : path });
    return out;
  }
  if (Array.isArray(spec)) {
    if (!Array.isArray(tree) || tree.length !== spec.length) throw new Error(`vmap: ${path}: an array of ${spec.length} axes for ${kind(tree)}`);
    spec.forEach((s, k) => leafAxes(s, tree[k], `${path}[${k}]`, out));
    return out;
  }
  if (!isRecord(tree)) throw new Error(`vmap: ${path}: a record of axes {${Object.keys(spec).join(', ')}} for ${kind(tree)}`);
  const record = spec as { readonly [key: string]: AxisTree };
  const extra = Object.keys(record).find((key) => !(key in tree));
  if (extra !== undefined) throw new Error(`vmap: ${path}.${extra}: the argument has no '${extra}'`);
  for (const key of Object.keys(tree)) {
    if (!(key in record)) throw new Error(`vmap: ${path}.${key}: no axis given (null for none)`);
    leafAxes(record[key], tree[key], `${path}.${key}`, out);
  }
  return out;
}

function argumentAxes(inAxes: AxisTree, count: number): readonly AxisTree[] {
  if (!Array.isArray(inAxes)) return Array.from({ length: count }, () => inAxes);
  if (inAxes.length !== count) throw new Error(`vmap: inAxes has ${inAxes.length} entries for ${count} arguments`);
  return inAxes;
}

function mapped<A extends unknown[], R>(f: (...args: A) => R, args: A, inAxes: AxisTree, outAxes: AxisTree): R {
  const specs = argumentAxes(inAxes, args.length);
  // placeholder -> its argument with the mapped axis moved to the front
  const batched = new Map<Tensor, Tensor>();
  let size: number | null = null;
  const placeholders: Tensor[] = [];
  const tracedArgs = args.map((arg, k) => {
    const spec = specs[k];
    if (spec === null) return arg;
    const where = Array.isArray(inAxes) ? `inAxes[${k}]` : `argument ${k}`;
    if (typeof spec === 'number' && !tensorsIn(arg).length) throw new Error(`vmap: argument ${k} holds no tensor to map over (give it inAxes null)`);
    const axes = leafAxes(spec, arg, where);
    let j = 0;
    return mapTree(arg, (t) => {
      const { axis, path } = axes[j++];
      if (axis === null) return t;
      if (!t.shape.length) throw new ShapeError(`vmap: ${path} is a scalar, which has no axis ${axis} to map over`);
      const a = normalizeAxis(axis, t.shape.length);
      if (size === null) size = t.shape[a];
      else if (t.shape[a] !== size) throw new ShapeError(`vmap: ${path}: axis ${axis} has size ${t.shape[a]}, expected ${size}`);
      const placeholder = new Tensor(t.shape.filter((_, i) => i !== a), null, [], undefined, null);
      placeholders.push(placeholder);
      batched.set(placeholder, a === 0 ? t : permute(t, [a, ...t.shape.map((_, i) => i).filter((i) => i !== a)]));
      return placeholder;
    });
  }) as A;
  if (size === null) throw new Error('vmap: no argument is mapped (every inAxes entry is null)');
  const n: number = size;
  const axis: BatchAxis = { size: n, expand: (x) => apply(broadcastToP, [x], { shape: [n, ...x.shape], scale: 1 }) };

  const made = new Set<Tensor>();
  const stop = onTensorCreated((t) => made.add(t));
  try {
    let result: R;
    try {
      result = f(...tracedArgs);
    } finally {
      stop();
    }
    const outputs = tensorsIn(result);
    const placed = leafAxes(outAxes, result, 'outAxes');
    // only nodes made by the trace can depend on a placeholder
    for (const t of postOrder(outputs, (t) => !made.has(t))) {
      if (batched.has(t) || !t.op) continue;
      if (!t.inputs.some((i) => batched.has(i))) continue; // unbatched: kept as it is
      const inputs = t.inputs.map((i) => batched.get(i) ?? i);
      const out = batchRuleOf(t.op)(inputs, t.inputs.map((i) => batched.has(i)), t.attrs, axis);
      if (out.shape.length !== t.shape.length + 1 || out.shape[0] !== n || t.shape.some((d, k) => out.shape[k + 1] !== d)) {
        throw new Error(`vmap: the batching rule of ${t.op.name} made [${out.shape}] from [${t.shape}], not [${[n, ...t.shape]}]`);
      }
      batched.set(t, out);
    }
    const leaves = outputs.map((t, k) => {
      const { axis: to, path } = placed[k];
      if (to !== null) return moveFront(batched.get(t) ?? axis.expand(t), to);
      if (batched.has(t)) throw new Error(`vmap: ${path} is null, but that output depends on the mapped arguments`);
      return t;
    });
    let k = 0;
    return mapTree(result, () => leaves[k++]);
  } finally {
    // what was traced on the placeholders is never evaluated (nor a pending sibling of an evaluation)
    const traced = new Set(placeholders);
    for (const t of made) if (t.inputs.some((i) => traced.has(i))) traced.add(t);
    for (const t of traced) t.dispose();
  }
}

/** `x` with its front axis moved to `axis`. */
function moveFront(x: Tensor, axis: number): Tensor {
  const a = normalizeAxis(axis, x.shape.length);
  if (a === 0) return x;
  const rest = x.shape.map((_, j) => j).slice(1);
  return permute(x, [...rest.slice(0, a), 0, ...rest.slice(a)]);
}

/** The batching rule of `op`: its own, else (elementwise ops) batching by broadcasting. */
function batchRuleOf(op: Primitive): BatchRule<unknown> {
  if (op.batch) return op.batch;
  if (isElementwise(op)) return elementwiseBatch(op);
  return ruleOf(op, 'batch', 'vmap');
}

/**
 * An elementwise op broadcasts: a batched input [B, ...s] is aligned as [B, 1, ..., 1, ...s] to
 * the output's rank + 1, and unbatched inputs broadcast along B by themselves.
 */
const elementwiseBatch =
  (op: Primitive): BatchRule<unknown> =>
  (inputs, isBatched, attrs) => {
    const rank = Math.max(...inputs.map((x, k) => x.shape.length - (isBatched[k] ? 1 : 0)));
    const aligned = inputs.map((x, k) => {
      if (!isBatched[k]) return x;
      const [b, ...s] = x.shape;
      return reshape(x, [b, ...Array.from({ length: rank - s.length }, () => 1), ...s]);
    });
    return apply(op, aligned, attrs);
  };
