// Tensor<S>: a node of a lazy graph. Ops only record nodes (synchronous, composable); values are
// computed when asked for (`await t.data()`, `realize`). The shape lives in the type `S` and, the
// same, in `shape` at runtime.
import type { Backend, Storage } from './backend.js';
import type { InputStrides, Lowering } from './kernel-source.js';
import type { Arith } from './arith.js';
import { nestedShape, type CheckNested, type Nested, type NestedShape } from './nested.js';
import { dataShape, sizeOf } from './shape-rules.js';
import type { Shape } from './shape-types.js';

/** A shape literal as a mutable tuple type: `[2, 3]`, not `readonly [2, 3]`. */
export type Mutable<S extends Shape> = { -readonly [K in keyof S]: S[K] };

/** The output value of an elementwise op over any `Arith`, from its (broadcast) inputs' values. */
export type ArithRule<A> = <V>(m: Arith<V>, inputs: readonly V[], attrs: A) => V;

/**
 * How a primitive computes its output, portably (every backend runs it; a backend may register a
 * faster kernel of its own in the kernel table):
 * - `arith`: an elementwise op with NumPy broadcasting, one expression over `Arith`: the gpu.js
 *   kernel, fusion with its neighbours and webasm's SIMD code are all derived from it;
 * - `source`: the body of one gpu.js kernel computing output element `i` from inputs `x0`, `x1`, ...
 *   (flat row-major arrays), e.g. `return x0[i] * x0[i];`;
 * - `kernel`: a lowering of its own (several kernels, or reading inputs at the strides given).
 */
export type PortableLowering<A> =
  | { readonly arith: ArithRule<A> }
  | { readonly source: (out: Tensor, inputs: readonly Tensor[], attrs: A) => string }
  | { readonly kernel: (out: Tensor, inputs: readonly Tensor[], attrs: A, strides?: InputStrides) => Lowering };

/** Cotangents of the inputs given the output's cotangent `g`; null where an input gets none. */
export type VjpRule<A> = (g: Tensor, out: Tensor, inputs: readonly Tensor[], attrs: A) => readonly (Tensor | null)[];

/** The output's tangent given the inputs' tangents (null: zero); null where it is zero. */
export type JvpRule<A> = (tangents: readonly (Tensor | null)[], out: Tensor, inputs: readonly Tensor[], attrs: A) => Tensor | null;

/** The mapped axis of a `vmap`: its size, and `expand(x)`, an unbatched tensor broadcast to [size, ...x]. */
export interface BatchAxis {
  readonly size: number;
  expand(x: Tensor): Tensor;
}

/**
 * The op over a batch (JAX's batching rule): `inputs[k]` has the mapped axis in front where
 * `batched[k]`, else is the unbatched input; returns the batched output, mapped axis in front.
 */
export type BatchRule<A> = (inputs: readonly Tensor[], batched: readonly boolean[], attrs: A, axis: BatchAxis) => Tensor;

/**
 * A primitive op: a record of its rules (definePrimitive makes one). What only optimisations use
 * (row fusion, strided views, backends' own kernels) lives in the kernel table, keyed by primitive.
 */
export interface Primitive<A = any> {
  readonly name: string;
  /** The output shape from the input shapes and attributes; throws ShapeError when they do not fit (rules in shape-rules.ts). */
  shape(inputs: readonly Shape[], attrs: A): readonly number[];
  readonly lowering: PortableLowering<A>;
  readonly vjp?: VjpRule<A>;
  readonly jvp?: JvpRule<A>;
  readonly batch?: BatchRule<A>;
}

let nextId = 0;

// The runtime (above this module) evaluates tensors; it registers itself here when it loads.
let reader: ((t: Tensor) => Promise<Float32Array>) | null = null;

/** @internal the runtime's evaluation, for `Tensor.data()` */
export function setReader(read: (t: Tensor) => Promise<Float32Array>): void {
  reader = read;
}
const scopeHooks: Array<(t: Tensor) => void> = [];

/** @internal called by scopes to learn of every tensor created while they are open */
export function onTensorCreated(hook: (t: Tensor) => void): () => void {
  scopeHooks.push(hook);
  return () => scopeHooks.splice(scopeHooks.indexOf(hook), 1);
}

export class Tensor<S extends Shape = Shape> {
  /** Phantom: the shape as a type. */
  declare readonly __shape: S;
  readonly id = nextId++;
  readonly size: number;
  /** @internal graph fields, owned by the runtime */
  op: Primitive<any> | null;
  /** @internal */ inputs: readonly Tensor[];
  /** @internal */ attrs: unknown;
  /** @internal host values not yet uploaded (leaves only) */ host: Float32Array | null;
  /** @internal device values, when realized */ storage: Storage | null = null;
  /** @internal */ backend: Backend | null = null;
  /** @internal */ disposed = false;
  /** @internal a library-made constant: its device copy is freed after each evaluation, like an intermediate */
  transient = false;
  /** @internal the last postOrder walk that reached it */
  walked = 0;
  /** @internal what the runtime's last pending-siblings pass found of it (runtime.ts: its pass and flags) */
  siblingMarks = 0;

  constructor(readonly shape: S, op: Primitive<any> | null, inputs: readonly Tensor[], attrs: unknown, host: Float32Array | null) {
    this.size = sizeOf(shape);
    this.op = op;
    this.inputs = inputs;
    this.attrs = attrs;
    this.host = host;
    for (const hook of scopeHooks) hook(this);
  }

  get rank(): S['length'] {
    return this.shape.length;
  }

  /** Computes (if needed) and reads the values back to the host, row-major. */
  data(): Promise<Float32Array> {
    if (!reader) throw new Error('internal: no runtime is loaded to evaluate tensors');
    return reader(this);
  }

  /** Releases the device and host memory this tensor holds. Using it afterwards is an error. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.host = null;
    if (this.storage && this.backend) this.backend.release(this.storage);
    this.storage = null;
    this.op = null;
    this.inputs = [];
  }

  toString(): string {
    return `Tensor[${this.shape.join(',')}]${this.op ? ` (${this.op.name})` : ''}`;
  }
}

/**
 * Records a primitive application. The primitive's shape rule computes the output shape from the
 * inputs and attributes, and throws on a mismatch, so every node is checked: those an op makes and
 * those a VJP makes. S is the type the calling op states for that shape (the runtime boundary
 * between `number[]` and the types: an op wraps `apply` in a function typed in shapes).
 */
export function apply<S extends Shape = Shape, A = any>(op: Primitive<A>, inputs: readonly Tensor[], attrs: NoInfer<A>): Tensor<S> {
  for (const t of inputs) {
    if (t.disposed) throw new Error(`${op.name}: an input tensor ${t} was disposed`);
  }
  const shape = op.shape(inputs.map((t) => t.shape), attrs);
  return new Tensor(shape as S, op, inputs, attrs, null);
}

// Leaves below type their shape array `S` as `Mutable<S>`: it is never mutated, only its
// `readonly` is dropped in the type so `tensor(..., [2, 3])` is a `Tensor<[2, 3]>`.
/** A leaf tensor holding a copy of `values` (row-major). */
export function fromTypedArray<const S extends Shape>(values: ArrayLike<number>, shape: S): Tensor<Mutable<S>> {
  dataShape(shape, values.length);
  return new Tensor(shape as Mutable<S>, null, [], undefined, Float32Array.from(values));
}

/**
 * `tensor([[1, 2, 3], [4, 5, 6]])` is a `Tensor<[2, 3]>`: the shape is the nesting (ragged rows are
 * refused). With a shape, data may be nested or flat: `tensor([1, 2, 3, 4, 5, 6], [2, 3])`.
 */
export function tensor<const D extends Nested>(data: D & CheckNested<D>): Tensor<NestedShape<D>>;
export function tensor<const S extends Shape>(data: Nested | ArrayLike<number>, shape: S): Tensor<Mutable<S>>;
export function tensor(data: Nested | ArrayLike<number>, shape?: Shape): Tensor {
  if (shape === undefined) {
    const nested = nestedShape(data);
    return fromTypedArray(nested.values, nested.shape);
  }
  return fromTypedArray(typeof data === 'number' || Array.isArray(data) ? nestedShape(data).values : (data as ArrayLike<number>), shape);
}

export function full<const S extends Shape>(shape: S, value: number): Tensor<Mutable<S>> {
  return new Tensor(shape as Mutable<S>, null, [], undefined, new Float32Array(sizeOf(shape)).fill(value));
}

/** A constant made inside the library (autodiff seeds, masks, per-step scalars): its device copy lives only during an evaluation. */
export function constant<const S extends Shape>(values: Float32Array, shape: S): Tensor<Mutable<S>> {
  const t = new Tensor(shape as Mutable<S>, null, [], undefined, values);
  t.transient = true;
  return t;
}

export const zeros = <const S extends Shape>(shape: S): Tensor<Mutable<S>> => full(shape, 0);
export const ones = <const S extends Shape>(shape: S): Tensor<Mutable<S>> => full(shape, 1);
export const scalar = (value: number): Tensor<[]> => full([], value);

let walks = 0;
let walking = false;

/**
 * Tensors reachable from `roots` (through inputs, not past `stopAt`), inputs before their users.
 * Iterative: long graphs must not overflow the JS stack. A walk stamps the tensors it reaches
 * (`walked`) instead of filling a set: every evaluation walks its whole graph, several times.
 */
export function postOrder(roots: readonly Tensor[], stopAt: (t: Tensor) => boolean): Tensor[] {
  // a walk inside `stopAt` would restamp tensors this one has seen
  if (walking) throw new Error('internal: postOrder called from a postOrder stopAt');
  walking = true;
  const walk = ++walks;
  const order: Tensor[] = [];
  // two stacks in step (a tensor, and whether its inputs are pushed already): no pair per push
  const stack = roots.slice();
  const expanded = roots.map(() => false);
  try {
    while (stack.length) {
      const t = stack.pop()!;
      if (expanded.pop()) {
        order.push(t);
        continue;
      }
      if (t.walked === walk) continue;
      t.walked = walk;
      stack.push(t);
      expanded.push(true);
      if (stopAt(t)) continue;
      for (const i of t.inputs) {
        if (i.walked === walk) continue;
        stack.push(i);
        expanded.push(false);
      }
    }
  } finally {
    walking = false;
  }
  return order;
}
