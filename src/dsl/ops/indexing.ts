// Indexing with tensors of indices: gather (numpy's take along an axis), takeAlongAxis (numpy's)
// and its transpose scatterAdd (torch.Tensor.scatter_add). Indices are float32 tensors holding
// integers in [0, n) for an axis of n (no negative wrap-around). Two primitives do the work:
// 'takeAlongAxis' reads x at the indices and 'scatterAdd' sums updates into the positions the
// indices name (a zero tensor); each is the other's VJP, so gather's VJP is an index-add. Both
// broadcast a dim of 1 against the other operand, which is how gather (indices [1, M, 1]) and
// vmap (an unbatched operand gets a 1 in front) use them.
//
// A bad index is an error, never a silent read or write. Host indices are checked at the call; a
// computed (lazy) one passes through 'checkIndices', whose lowering runs a kernel that finds each
// chunk's first bad position, reads those few floats back and throws naming the index, so the
// evaluation (`data()`, `realize`, a jitted call) that computes it rejects. That step runs the
// backend's own code: a jitted plan with it runs kernel by kernel, not as one gpu.js pipeline.
import { apply, type Primitive, type Tensor } from '../tensor.js';
import { definePrimitive, zeroDerivative } from '../primitive.js';
import { normalizeAxis } from '../shape-rules.js';
import { alongAxisShape, badIndexError, broadcastAlong, firstBadIndex, gatherShape, scatterAddShape, scatterShape } from '../indexing-rules.js';
import type { AlongAxis, CheckAlongAxis, Gathered } from '../indexing-types.js';
import type { AxisAt, AxisIndex, CheckAxis, Shape, WithDim } from '../shape-types.js';
import { coordinates, flatIndex, kernelSource, lit, singleKernel, stridesOf } from '../kernel-source.js';
import { sumTo } from './reduce.js';
import { add } from './elementwise.js';
import { reshape } from './layout.js';

interface AlongAttrs {
  readonly axis: number;
}
export interface ScatterAttrs extends AlongAttrs {
  /** the result's dim at the axis (x's) */
  readonly length: number;
}

/** Flat index into `shape` at coordinates `coords` of a result, a dim of 1 broadcast (stride 0). */
const readAt = (shape: readonly number[], coords: readonly string[]) => flatIndex(coords, stridesOf(shape).map((s, k) => (shape[k] === 1 ? 0 : s)));
const coordNames = (rank: number, axis: number, at: string) => Array.from({ length: rank }, (_, k) => (k === axis ? at : `c${k}`));

// Unbatched operands get a 1 in front, which broadcasts against the mapped axis.
const batchAlong =
  <A extends AlongAttrs>(p: () => Primitive<A>) =>
  (inputs: readonly Tensor[], batched: readonly boolean[], attrs: A) =>
    apply(p(), inputs.map((v, k) => (batched[k] ? v : reshape(v, [1, ...v.shape]))), { ...attrs, axis: attrs.axis + 1 });

/** out[c] = x[c with c_axis = indices[c]]: numpy's take_along_axis. */
const takeAlongP: Primitive<AlongAttrs> = definePrimitive({
  name: 'takeAlongAxis',
  transforms: ['vjp', 'batch'],
  shape: ([x, indices], { axis }: AlongAttrs) => broadcastAlong('takeAlongAxis', x, indices, axis, indices[axis]),
  lowering: {
    kernel: (out, [x, indices], { axis }) => {
      const rank = out.shape.length;
      const body = `${coordinates(out.shape)}\n  const j = ix[${readAt(indices.shape, coordNames(rank, axis, `c${axis}`))}];\n  return x[${readAt(x.shape, coordNames(rank, axis, 'j'))}];`;
      return singleKernel(kernelSource(['x', 'ix'], body), out.size);
    },
  },
  vjp: (g, _out, [x, indices], { axis }) => [sumTo(apply(scatterP, [indices, g], { axis, length: x.shape[axis] }), x.shape), null],
  batch: batchAlong(() => takeAlongP),
});

/** out[c] = Σ_j updates[c with c_axis = j] over the j where indices[same] == c_axis: the transpose of takeAlongAxis. */
export const scatterP: Primitive<ScatterAttrs> = definePrimitive({
  name: 'scatterAdd',
  transforms: ['vjp', 'batch'],
  shape: ([indices, updates], { axis, length }: ScatterAttrs) => scatterShape(indices, updates, axis, length),
  lowering: {
    kernel: (out, [indices, updates], { axis }) => {
      const rank = out.shape.length;
      const along = coordNames(rank, axis, 'j');
      const body =
        `${coordinates(out.shape)}\n  let acc = 0.0;\n  for (let j = 0; j < ${indices.shape[axis]}; j++) {\n` +
        `    if (ix[${readAt(indices.shape, along)}] == c${axis}) { acc = acc + u[${readAt(updates.shape, along)}]; }\n  }\n  return acc;`;
      return singleKernel(kernelSource(['ix', 'u'], body), out.size);
    },
  },
  vjp: (g, _out, [indices, updates], { axis }) => [null, sumTo(apply(takeAlongP, [g, indices], { axis }), updates.shape)],
  batch: batchAlong(() => scatterP),
});

interface CheckAttrs {
  /** the op and axis the error names */
  readonly op: string;
  readonly axis: number;
  /** indices must be integers in [0, bound) */
  readonly bound: number;
}
const chunk = 256;

/** Kernel: the first bad position in each chunk of `chunk` indices, or -1. */
function flagSource(size: number, bound: number): string {
  const body =
    `let found = -1.0;\n  for (let k = 0; k < ${chunk}; k++) {\n    const p = i * ${chunk} + k;\n` +
    `    if (found < 0.0 && p < ${size}) {\n      const v = ix[p];\n` +
    `      if (v < 0.0 || v >= ${lit(bound)} || v != Math.floor(v)) { found = p; }\n    }\n  }\n  return found;`;
  return kernelSource(['ix'], body);
}

/** The indices unchanged, once every value is checked to be an integer in [0, bound): else the evaluation throws. */
const checkIndicesP: Primitive<CheckAttrs> = definePrimitive({
  name: 'checkIndices',
  transforms: ['vjp', 'batch'],
  shape: ([indices]) => [...indices],
  lowering: {
    kernel:
      (out, _inputs, { op, axis, bound }) =>
      async (backend, [indices]) => {
        const flags = await backend.run({ source: flagSource(out.size, bound), length: Math.ceil(out.size / chunk) }, [indices]);
        let found: Float32Array;
        try {
          found = await backend.read(flags);
        } finally {
          backend.release(flags);
        }
        if (found.some((p) => p >= 0)) {
          const values = await backend.read(indices);
          throw badIndexError(op, values, out.shape, firstBadIndex(values, bound), bound, axis);
        }
        return backend.retain(indices);
      },
  },
  vjp: zeroDerivative,
  batch: ([indices], _b, attrs) => apply(checkIndicesP, [indices], attrs),
});

/** @internal `indices`, checked now if they are host values, else when they are computed. */
export function checked(op: string, indices: Tensor, bound: number, axis: number): Tensor {
  if (indices.host && !indices.op) {
    const p = firstBadIndex(indices.host, bound);
    if (p >= 0) throw badIndexError(op, indices.host, indices.shape, p, bound, axis);
    return indices;
  }
  return apply(checkIndicesP, [indices], { op, axis, bound });
}

const count = (dims: readonly number[]) => dims.reduce((p, d) => p * d, 1);

/**
 * numpy's `take(x, indices, axis)`: the indices' dims replace the axis (`x` [B, V, E] with indices
 * [T] along 1 is [B, T, E]). Indices are float32 integers in [0, n); a bad one throws (at the call
 * for host values, else when computed). `take(x, axis, i)` is the same with one literal index
 * checked at compile time. The gradient is an index-add into x's shape; the indices get none.
 */
export function gather<S extends Shape, I extends Shape, const Ax extends AxisIndex<S>>(x: Tensor<S>, indices: Tensor<I>, axis: Ax): Tensor<Gathered<S, I, Ax>>;
export function gather<S extends Shape, I extends Shape, const Ax extends number>(x: Tensor<S>, indices: Tensor<I>, axis: Ax & CheckAxis<S, Ax>): Tensor<Gathered<S, I, Ax>>;
export function gather(x: Tensor, indices: Tensor, axis: number): Tensor {
  const out = gatherShape(x.shape, indices.shape, axis);
  const a = normalizeAxis(axis, x.shape.length);
  const n = x.shape[a];
  const rows = reshape(x, [count(x.shape.slice(0, a)), n, count(x.shape.slice(a + 1))]);
  const picked = apply(takeAlongP, [rows, reshape(checked('gather', indices, n, axis), [1, indices.size, 1])], { axis: 1 });
  return reshape(picked, out);
}

/**
 * numpy's `take_along_axis` (torch.take_along_dim): indices of x's rank whose other dims broadcast
 * with x's (equal, or one of them 1); out[..., j, ...] = x[..., indices[..., j, ...], ...], the
 * other dims broadcast. Indices are float32 integers in [0, n). The gradient is scatterAdd of the
 * cotangent (summed over the dims x broadcast); the indices get none. Code generic over the dims
 * passes indices with x's dims; literal shapes may broadcast.
 */
export function takeAlongAxis<S extends Shape, I extends Shape, const Ax extends AxisIndex<S>>(
  x: Tensor<S>,
  indices: Tensor<I> & Tensor<NoInfer<WithDim<S, AxisAt<S, Ax>, I[AxisAt<S, Ax>]>>>,
  axis: Ax,
): Tensor<WithDim<S, AxisAt<S, Ax>, I[AxisAt<S, Ax>]>>;
export function takeAlongAxis<S extends Shape, I extends Shape, Ax extends number>(x: Tensor<S>, indices: Tensor<I> & CheckAlongAxis<'takeAlongAxis', S, I, Ax>, axis: Ax): Tensor<AlongAxis<S, I, Ax>>;
export function takeAlongAxis(x: Tensor, indices: Tensor, axis: number): Tensor {
  alongAxisShape('takeAlongAxis', x.shape, indices.shape, axis);
  const a = normalizeAxis(axis, x.shape.length);
  return apply(takeAlongP, [x, checked('takeAlongAxis', indices, x.shape[a], axis)], { axis: a });
}

/**
 * x plus `updates` summed into the positions the indices name along `axis`, as torch's
 * `x.scatter_add(axis, indices, updates)` (note the order: ours is (x, indices, updates, axis)).
 * Indices have x's rank and x's dims except at the axis; updates have the indices' shape (torch
 * also allows larger updates and uses a corner of them; we do not). Indices are float32 integers
 * in [0, n). The transpose of takeAlongAxis: the gradients are (g, takeAlongAxis(g, indices)).
 */
export function scatterAdd<S extends Shape, I extends Shape, const Ax extends AxisIndex<S>>(
  x: Tensor<S>,
  indices: Tensor<I> & Tensor<NoInfer<WithDim<S, AxisAt<S, Ax>, I[AxisAt<S, Ax>]>>>,
  updates: Tensor<NoInfer<I>>,
  axis: Ax,
): Tensor<S>;
export function scatterAdd<S extends Shape, I extends Shape, Ax extends number>(x: Tensor<S>, indices: Tensor<I> & CheckAlongAxis<'scatterAdd', S, I, Ax>, updates: Tensor<NoInfer<I>>, axis: Ax): Tensor<S>;
export function scatterAdd(x: Tensor, indices: Tensor, updates: Tensor, axis: number): Tensor {
  scatterAddShape(x.shape, indices.shape, updates.shape, axis);
  const a = normalizeAxis(axis, x.shape.length);
  const length = x.shape[a];
  return add(x, apply(scatterP, [checked('scatterAdd', indices, length, axis), updates], { axis: a, length }));
}
