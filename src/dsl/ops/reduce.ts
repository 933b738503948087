// Reductions (sum, mean; max in max.ts) over one axis, a list of axes, or all of them; broadcastTo
// and its transpose sumTo. Needs nothing from elementwise.ts (which needs sumTo): mean is a sum whose
// kernel scales; max, whose gradient is elementwise, lives above both.
import { apply, constant, full, type Mutable, type Primitive, type Tensor } from '../tensor.js';
import { definePrimitive } from '../primitive.js';
import { broadcastToShape, reduceAxes, reduceShape, shapesEqual, sizeOf } from '../shape-rules.js';
import type { AxisIndex, BroadcastsTo, CheckAxes, CheckDistinctAxes, Reduced, Shape } from '../shape-types.js';
import { coordinates, flatIndex, kernelSource, lit, singleKernel, stridesOf } from '../kernel-source.js';
import { reshape } from './layout.js';

export interface ReduceAttrs {
  readonly axis: number;
  /** multiplies the result (1 / count for a mean) */
  readonly scale: number;
}

/** A kernel reducing one axis of [outer, length, inner] with `step`, from `init` (the axis kept as 1). */
export function reduceKernel(init: string, step: (acc: string, v: string) => string) {
  return (out: Tensor, [x]: readonly Tensor[], { axis, scale }: ReduceAttrs) => {
    const length = x.shape[axis];
    const inner = x.shape.slice(axis + 1).reduce((p, d) => p * d, 1);
    const result = scale === 1 ? 'acc' : `acc * ${lit(scale)}`;
    const body =
      `const o = Math.floor((i + 0.5) / ${inner});\n  const base = o * ${length * inner} + (i - o * ${inner});\n` +
      `  let acc = ${init};\n  for (let l = 0; l < ${length}; l++) {\n    const v = x[base + l * ${inner}];\n    acc = ${step('acc', 'v')};\n  }\n  return ${result};`;
    return singleKernel(kernelSource(['x'], body), out.size);
  };
}

// Both primitives keep the reduced axis as 1; the public functions reshape. Batched, the axis moves up one.
export const sumP: Primitive<ReduceAttrs> = definePrimitive({
  name: 'sum',
  transforms: ['vjp', 'batch'],
  shape: ([x], { axis }: ReduceAttrs) => reduceShape(x, axis, true),
  lowering: { kernel: reduceKernel('0.0', (acc, v) => `${acc} + ${v}`) },
  vjp: (g, _out, [x], { scale }) => [broadcastScaled(g, x.shape, scale)],
  batch: ([x], _b, { axis, scale }) => apply(sumP, [x], { axis: axis + 1, scale }),
});

/**
 * Reduces `x` over the axes flagged in `reduced`: adjacent axes of the same kind are merged first,
 * so each run of reduced axes is one kernel. The result has shape `out`: x's with the reduced axes
 * kept as 1, dropped, or any shape of as many elements (one reshape, not one per convention).
 */
function reduceRuns(p: Primitive<ReduceAttrs>, x: Tensor, reduced: readonly boolean[], scale: number, out: readonly number[]): Tensor {
  const runs: Array<{ size: number; reduce: boolean }> = [];
  x.shape.forEach((d, k) => {
    const last = runs[runs.length - 1];
    if (last && last.reduce === reduced[k]) last.size *= d;
    else runs.push({ size: d, reduce: reduced[k] });
  });
  let t: Tensor = reshape(x, runs.map((r) => r.size));
  let first = true;
  for (let k = runs.length - 1; k >= 0; k--) {
    if (!runs[k].reduce) continue;
    t = apply(p, [t], { axis: k, scale: first ? scale : 1 });
    first = false;
  }
  return reshape(t, out);
}

/**
 * A reduction over no values whose result is not a sum (a mean's NaN, logsumexp's −∞), as numpy's:
 * `value` as the result shape (axes kept as 1) when an axis in `axis` is empty, else null. A
 * constant is exact here: x has no elements for the result to depend on.
 */
export function overEmpty(x: Tensor, axis: number | readonly number[] | undefined, value: number): Tensor | null {
  if (!reduceAxes(x.shape, axis).some((a) => x.shape[a] === 0)) return null;
  const shape = reduceShape(x.shape, axis, true);
  return constant(new Float32Array(sizeOf(shape)).fill(value), shape);
}

/** `p` over `axis` (numpy's axes: none, one, or a list), the axes dropped or kept as 1. */
export function reduceOver(p: Primitive<ReduceAttrs>, x: Tensor, axis: number | readonly number[] | undefined, keepDims: boolean, mean: boolean): Tensor {
  const out = reduceShape(x.shape, axis, keepDims);
  const empty = mean ? overEmpty(x, axis, NaN) : null;
  if (empty) return reshape(empty, out);
  const axes = reduceAxes(x.shape, axis);
  const count = axes.reduce((n, a) => n * x.shape[a], 1);
  const reduced = x.shape.map((_, k) => axes.includes(k));
  return axes.length ? reduceRuns(p, x, reduced, mean ? 1 / count : 1, out) : reshape(x, out);
}

/**
 * A reduction, as numpy / JAX: no axis reduces everything to a scalar; an axis or a list of axes
 * (negative ones count from the end) are dropped, or kept as 1 with `keepDims`. Overloads: any
 * shape with axes checked against its rank (generic dims too); `[...R, D]` over its last axis; and
 * literal shapes, whose bad or repeated axes CheckAxes names.
 */
export interface Reduction {
  <S extends Shape>(x: Tensor<S>): Tensor<[]>;
  <S extends Shape, const Ax extends AxisIndex<S> | readonly AxisIndex<S>[], K extends boolean = false>(x: Tensor<S>, axis: Ax & CheckDistinctAxes<S, Ax>, keepDims?: K): Tensor<Reduced<S, Ax, K>>;
  <R extends Shape, D extends number, K extends boolean = false>(x: Tensor<[...R, D]>, axis: -1, keepDims?: K): Tensor<K extends true ? [...R, 1] : R>;
  <S extends Shape, const Ax extends number | readonly number[], K extends boolean = false>(x: Tensor<S>, axis: Ax & CheckAxes<S, Ax>, keepDims?: K): Tensor<Reduced<S, Ax, K>>;
}

// runtime boundary: reduceShape computes at runtime the shape each overload states
export const reduction = (p: Primitive<ReduceAttrs>, mean: boolean) =>
  ((x: Tensor, axis?: number | readonly number[], keepDims = false) => reduceOver(p, x, axis, keepDims, mean)) as Reduction;

/** Sum over the given axes (all by default). */
export const sum = reduction(sumP, false);
/** Mean over the given axes (all by default). */
export const mean = reduction(sumP, true);

// --- broadcastTo / sumTo ------------------------------------------------------------------------------

interface BroadcastAttrs {
  readonly shape: readonly number[];
  /** multiplies the result (1 / count for a mean's gradient) */
  readonly scale: number;
}

export const broadcastToP: Primitive<BroadcastAttrs> = definePrimitive({
  name: 'broadcastTo',
  transforms: ['vjp', 'batch'],
  shape: ([x], { shape }: BroadcastAttrs) => broadcastToShape(x, shape),
  lowering: {
    kernel: (out, [x], { scale }) => {
      const offset = out.shape.length - x.shape.length;
      const xs = stridesOf(x.shape);
      const strides = out.shape.map((_, k) => (k < offset || x.shape[k - offset] === 1 ? 0 : xs[k - offset]));
      const idx = flatIndex(out.shape.map((_, k) => `c${k}`), strides);
      const value = scale === 1 ? `x[${idx}]` : `x[${idx}] * ${lit(scale)}`;
      return singleKernel(kernelSource(['x'], `${coordinates(out.shape)}\n  return ${value};`), out.size);
    },
  },
  vjp: (g, _out, [x], { scale }) => [sumScaled(g, x.shape, scale)],
  // [B, ...x] to [B, 1, ..., 1, ...x] (the target's rank + 1), then broadcast to [B, ...shape]
  batch: ([x], _b, { shape, scale }) => {
    const [size, ...inner] = x.shape;
    const aligned = reshape(x, [size, ...shape.slice(inner.length).map(() => 1), ...inner]);
    return apply(broadcastToP, [aligned], { shape: [size, ...shape], scale });
  },
});

function broadcastScaled(x: Tensor, shape: readonly number[], scale: number): Tensor {
  if (scale === 1 && shapesEqual(x.shape, shape)) return x;
  return apply(broadcastToP, [x], { shape: [...shape], scale });
}

function sumScaled(g: Tensor, shape: readonly number[], scale: number): Tensor {
  const offset = g.shape.length - shape.length;
  const reduced = g.shape.map((d, k) => k < offset || (shape[k - offset] === 1 && d !== 1));
  if (!reduced.some(Boolean)) return broadcastScaled(reshape(g, [...shape]), shape, scale);
  return reduceRuns(sumP, g, reduced, scale, shape);
}

/** Broadcasts `x` (trailing-aligned, NumPy rules) to `shape`: each dim of x is 1 or the target's. */
export function broadcastTo<const T extends Shape>(x: Tensor<NoInfer<BroadcastsTo<T>>>, shape: T): Tensor<Mutable<T>>;
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  return broadcastScaled(x, shape, 1);
}

/** The transpose of broadcasting: sums `g` over the axes that broadcasting added or stretched. */
export function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  return sumScaled(g, shape, 1);
}
