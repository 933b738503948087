// Reductions over one axis (sum, max; mean = scaled sum), broadcastTo and its transpose sumTo.
import { apply, type Primitive, type Tensor } from '../tensor.js';
import { normalizeAxis, reduceShape, ShapeError } from '../shape-rules.js';
import type { Reduce, CheckAxis, Shape } from '../shape-types.js';
import { coordinates, flatIndex, kernelSource, singleKernel, stridesOf } from '../kernel-source.js';
import { equal, mul, mulScalar } from './elementwise.js';
import { reshape } from './layout.js';

interface ReduceAttrs {
  readonly axis: number;
  readonly keepDims: boolean;
}

/** Views `shape` as [outer, length, inner] around `axis`. */
function split(shape: readonly number[], axis: number): { length: number; inner: number } {
  return { length: shape[axis], inner: shape.slice(axis + 1).reduce((p, d) => p * d, 1) };
}

function reduceKernel(init: string, step: (acc: string, v: string) => string) {
  return (out: Tensor, [x]: readonly Tensor[], { axis }: ReduceAttrs) => {
    const { length, inner } = split(x.shape, axis);
    const body =
      `const o = Math.floor(i / ${inner});\n  const base = o * ${length * inner} + (i - o * ${inner});\n` +
      `  let acc = ${init};\n  for (let l = 0; l < ${length}; l++) {\n    const v = x[base + l * ${inner}];\n    acc = ${step('acc', 'v')};\n  }\n  return acc;`;
    return singleKernel(kernelSource(['x'], body), out.size);
  };
}

const keptShape = (x: Tensor, axis: number) => x.shape.map((d, k) => (k === axis ? 1 : d));

const sumP: Primitive<ReduceAttrs> = {
  name: 'sum',
  lower: reduceKernel('0.0', (acc, v) => `${acc} + ${v}`),
  vjp: (g, _out, [x], { axis }) => [broadcastTo(reshape(g, keptShape(x, axis)), x.shape)],
};

const maxP: Primitive<ReduceAttrs> = {
  name: 'max',
  lower: reduceKernel('-3.4e38', (acc, v) => `Math.max(${acc}, ${v})`),
  // the gradient goes to every position that attains the maximum
  vjp: (g, out, [x], { axis }) => {
    const m = broadcastTo(reshape(out, keptShape(x, axis)), x.shape);
    return [mul(broadcastTo(reshape(g, keptShape(x, axis)), x.shape), equal(x, m))];
  },
};

function reducer(p: Primitive<ReduceAttrs>) {
  return <S extends Shape, Ax extends number, K extends boolean = false>(
    x: Tensor<S>,
    axis: Ax & CheckAxis<S, Ax>,
    keepDims?: K,
  ): Tensor<Reduce<S, Ax, K>> => {
    const shape = reduceShape(x.shape, axis, keepDims ?? false);
    return apply(p, [x], shape as unknown as Reduce<S, Ax, K>, { axis: normalizeAxis(axis, x.shape.length), keepDims: keepDims ?? false });
  };
}

/** Sum over one axis (negative axes count from the end). */
export const sum = reducer(sumP);
/** Maximum over one axis. */
export const max = reducer(maxP);

/** Mean over one axis. */
export function mean<S extends Shape, Ax extends number, K extends boolean = false>(
  x: Tensor<S>,
  axis: Ax & CheckAxis<S, Ax>,
  keepDims?: K,
): Tensor<Reduce<S, Ax, K>> {
  const length = x.shape[normalizeAxis(axis, x.shape.length)];
  return mulScalar(sum(x, axis as never, keepDims) as Tensor, 1 / length) as Tensor<Reduce<S, Ax, K>>;
}

/** Sum of all elements, as a scalar tensor. */
export function sumAll(x: Tensor): Tensor<[]> {
  return reshape(sum(reshape(x, [x.size]), 0), []) as Tensor<[]>;
}

// --- broadcastTo / sumTo ------------------------------------------------------------------------------

const broadcastToP: Primitive<void> = {
  name: 'broadcastTo',
  lower: (out, [x]) => {
    const offset = out.shape.length - x.shape.length;
    const xs = stridesOf(x.shape);
    const strides = out.shape.map((_, k) => (k < offset || x.shape[k - offset] === 1 ? 0 : xs[k - offset]));
    const idx = flatIndex(out.shape.map((_, k) => `c${k}`), strides);
    return singleKernel(kernelSource(['x'], `${coordinates(out.shape)}\n  return x[${idx}];`), out.size);
  },
  vjp: (g, _out, [x]) => [sumTo(g, x.shape)],
};

/** Broadcasts `x` (trailing-aligned, NumPy rules) to `shape`. */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  const offset = shape.length - x.shape.length;
  const ok = offset >= 0 && x.shape.every((d, k) => d === 1 || d === shape[k + offset]);
  if (!ok) throw new ShapeError(`cannot broadcast [${x.shape.join(',')}] to [${shape.join(',')}]`);
  if (x.shape.length === shape.length && x.shape.every((d, k) => d === shape[k])) return x;
  return apply(broadcastToP, [x], [...shape]);
}

/** The transpose of broadcasting: sums `g` over the axes that broadcasting added or stretched. */
export function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  const offset = g.shape.length - shape.length;
  const reduced = g.shape.map((d, k) => k < offset || (shape[k - offset] === 1 && d !== 1));
  if (!reduced.some(Boolean)) return g.shape.length === shape.length ? g : reshape(g, [...shape]);
  // merge runs of adjacent axes of the same kind, so each run is one reduction kernel
  const groups: Array<{ size: number; reduce: boolean }> = [];
  g.shape.forEach((d, k) => {
    const last = groups[groups.length - 1];
    if (last && last.reduce === reduced[k]) last.size *= d;
    else groups.push({ size: d, reduce: reduced[k] });
  });
  let t: Tensor = reshape(g, groups.map((x) => x.size));
  for (let k = groups.length - 1; k >= 0; k--) if (groups[k].reduce) t = sum(t, k, true);
  return reshape(t, [...shape]);
}
