// Products: prod (a reduction, axes and keepDims as for `sum`) and cumprod (numpy's running
// product along an axis). Their gradients are exact when inputs hold zeros (PyTorch's rule, not
// g·out/x): each position's gradient is the product of the *other* factors, computed by a kernel
// that skips the position itself, so one zero gives its own position the product of the rest and
// two zeros give every position 0.
import { apply, constant, type Primitive, type Tensor } from '../tensor.js';
import { definePrimitive } from '../primitive.js';
import { normalizeAxis, reduceShape } from '../shape-rules.js';
import type { AxisIndex, CheckAxis, Shape } from '../shape-types.js';
import { kernelSource, singleKernel } from '../kernel-source.js';
import { reduceKernel, reduceOver, sum, type ReduceAttrs, type Reduction } from './reduce.js';
import { add, mul } from './elementwise.js';
import { reshape } from './layout.js';

interface AxisAttrs {
  readonly axis: number;
}

/**
 * Kernel source prelude for an output of `shape` read along `axis` as [outer, length, inner]:
 * binds `l` (the position along the axis) and `base` (the fiber's first element; element m of
 * the fiber is at `base + m * inner`).
 */
function fiber(shape: readonly number[], axis: number): { readonly length: number; readonly inner: number; readonly prelude: string } {
  const length = shape[axis];
  const inner = shape.slice(axis + 1).reduce((p, d) => p * d, 1);
  const prelude =
    `const o = Math.floor((i + 0.5) / ${length * inner});\n  const r = i - o * ${length * inner};\n` +
    `  const l = Math.floor((r + 0.5) / ${inner});\n  const base = o * ${length * inner} + (r - l * ${inner});`;
  return { length, inner, prelude };
}

/** Kernel over inputs `args` along `axis`, output shaped like the first input. */
function alongAxis(args: readonly string[], body: (length: number, inner: number) => string) {
  return (out: Tensor, _inputs: readonly Tensor[], { axis }: AxisAttrs) => {
    const { length, inner, prelude } = fiber(out.shape, axis);
    return singleKernel(kernelSource(args, `${prelude}\n  ${body(length, inner)}`), out.size);
  };
}

// Unbatched operands are broadcast along the mapped axis; the op's axis moves up one.
const batchAlong = (p: () => Primitive<AxisAttrs>) => (inputs: readonly Tensor[], batched: readonly boolean[], { axis }: AxisAttrs, { expand }: { expand(x: Tensor): Tensor }) =>
  apply(p(), inputs.map((x, k) => (batched[k] ? x : expand(x))), { axis: axis + 1 });

/** A constant [n, n, 1] that is 1 where `at(k, l)`, else 0. */
const mask = (n: number, at: (k: number, l: number) => boolean) => constant(Float32Array.from({ length: n * n }, (_, i) => (at(Math.floor(i / n), i % n) ? 1 : 0)), [n, n, 1]);

/**
 * x viewed as [outer, n, inner] along `axis`, and `rows` [outer, n(k), n(m), inner]: row k is the
 * fiber with x_k replaced by 1, so a product along row k skips x_k. prodOthers and cumprodGrad
 * are products along these rows; their VJPs are written through them in differentiable ops, so
 * they are exact with zeros and can be differentiated again (O(n²) per fiber, only when asked).
 */
function skipOne(x: Tensor, axis: number) {
  const n = x.shape[axis];
  const outer = x.shape.slice(0, axis).reduce((p, d) => p * d, 1);
  const inner = x.shape.slice(axis + 1).reduce((p, d) => p * d, 1);
  const offDiagonal = mask(n, (k, m) => k !== m);
  const rows = add(mul(reshape(x, [outer, 1, n, inner]), offDiagonal), mask(n, (k, m) => k === m));
  /** Σ_k over row k of t [outer, n(k), n(m), inner] where m ≠ k: a cotangent of rows as x's */
  const toX = (t: Tensor) => reshape(sum(mul(t, offDiagonal), 1), x.shape);
  return { n, outer, inner, rows, toX };
}

/** Π_{m ≠ l} x_m along the axis, at each position l: prod's gradient factor, exact with zeros. */
const prodOthersP: Primitive<AxisAttrs> = definePrimitive({
  name: 'prodOthers',
  transforms: ['vjp', 'batch'],
  // Π_m rows[k, m] along each row: its VJP h_k Π_{m' ≠ m} rows[k, m'], summed into x_m
  vjp: (h, _out, [x], { axis }) => {
    const { n, outer, inner, rows, toX } = skipOne(x, axis);
    return [toX(mul(reshape(h, [outer, n, 1, inner]), apply(prodOthersP, [rows], { axis: 2 })))];
  },
  shape: ([x], { axis }: AxisAttrs) => (normalizeAxis(axis, x.length), [...x]),
  lowering: {
    kernel: alongAxis(['x'], (length, inner) => `let acc = 1.0;\n  for (let m = 0; m < ${length}; m++) {\n    if (m != l) { acc = acc * x[base + m * ${inner}]; }\n  }\n  return acc;`),
  },
  batch: batchAlong(() => prodOthersP),
});

const prodP: Primitive<ReduceAttrs> = definePrimitive({
  name: 'prod',
  transforms: ['vjp', 'batch'],
  shape: ([x], { axis }: ReduceAttrs) => reduceShape(x, axis, true),
  lowering: { kernel: reduceKernel('1.0', (acc, v) => `${acc} * ${v}`) },
  // g (the axis kept as 1) broadcasts along the axis
  vjp: (g, _out, [x], { axis }) => [mul(g, apply(prodOthersP, [x], { axis }))],
  batch: ([x], _b, attrs) => apply(prodP, [x], { ...attrs, axis: attrs.axis + 1 }),
});

/** Product over the given axes (all by default), as numpy's `prod`; the gradient is exact with zeros. */
export const prod = ((x: Tensor, axis?: number | readonly number[], keepDims = false) => reduceOver(prodP, x, axis, keepDims, false)) as Reduction;

/**
 * cumprod's gradient: at position k, Σ_{l ≥ k} g_l · Π_{m ≤ l, m ≠ k} x_m, a running product that
 * skips x_k (exact with zeros; g·out/x is not).
 */
const cumprodGradP: Primitive<AxisAttrs> = definePrimitive({
  name: 'cumprodGrad',
  transforms: ['vjp', 'batch'],
  // Σ_l [l ≥ k] g_l cumprod(rows[k])_l: linear in g; for x, cumprod's VJP along each row
  vjp: (h, _out, [x, g], { axis }) => {
    const { n, outer, inner, rows, toX } = skipOne(x, axis);
    const weights = mul(reshape(h, [outer, n, 1, inner]), mask(n, (k, l) => l >= k));
    const running = apply(cumprodP, [rows], { axis: 2 });
    const dRunning = mul(weights, reshape(g, [outer, 1, n, inner]));
    return [toX(apply(cumprodGradP, [rows, dRunning], { axis: 2 })), reshape(sum(mul(weights, running), 1), g.shape)];
  },
  shape: ([x, g], { axis }: AxisAttrs) => (normalizeAxis(axis, x.length), [...x]),
  lowering: {
    kernel: alongAxis(['x', 'g'], (length, inner) =>
      [
        'let before = 1.0;',
        'let run = 0.0;',
        'let acc = 0.0;',
        `for (let m = 0; m < ${length}; m++) {`,
        `    const at = base + m * ${inner};`,
        '    if (m < l) { before = before * x[at]; }',
        '    if (m == l) { run = before; acc = acc + g[at] * run; }',
        '    if (m > l) { run = run * x[at]; acc = acc + g[at] * run; }',
        '  }',
        '  return acc;',
      ].join('\n  '),
    ),
  },
  batch: batchAlong(() => cumprodGradP),
});

const cumprodP: Primitive<AxisAttrs> = definePrimitive({
  name: 'cumprod',
  transforms: ['vjp', 'batch'],
  shape: ([x], { axis }: AxisAttrs) => (normalizeAxis(axis, x.length), [...x]),
  lowering: {
    kernel: alongAxis(['x'], (length, inner) => `let acc = 1.0;\n  for (let m = 0; m < ${length}; m++) {\n    if (m <= l) { acc = acc * x[base + m * ${inner}]; }\n  }\n  return acc;`),
  },
  vjp: (g, _out, [x], attrs) => [apply(cumprodGradP, [x, g], attrs)],
  batch: batchAlong(() => cumprodP),
});

/** Inclusive running product along `axis` (numpy's `cumprod`); the gradient is exact with zeros. */
export function cumprod<S extends Shape, const Ax extends AxisIndex<S>>(x: Tensor<S>, axis: Ax): Tensor<S>;
export function cumprod<S extends Shape, const Ax extends number>(x: Tensor<S>, axis: Ax & CheckAxis<S, Ax>): Tensor<S>;
export function cumprod(x: Tensor, axis: number): Tensor {
  return apply(cumprodP, [x], { axis: normalizeAxis(axis, x.shape.length) });
}
