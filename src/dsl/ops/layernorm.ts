// LayerNorm over the last axis. The fused primitive is `normalize` ((x - mean) * rstd), a row op
// (rows.ts) forward and backward: the row statistics, then one elementwise stage; the affine part
// is a broadcast multiply-add.
import { apply, type Primitive, type Tensor } from '../tensor.js';
import { definePrimitive } from '../primitive.js';
import { registerRows } from '../kernel-table.js';
import { layerNormParamsShape, layerNormShape, sameShape } from '../shape-rules.js';
import type { Shape } from '../shape-types.js';
import { rowLowering, type RowPass, type RowRule } from '../rows.js';
import { add, addScalar, mul, neg, rsqrt, sub } from './elementwise.js';
import { mean } from './reduce.js';

export interface LayerNormAttrs {
  readonly eps: number;
  readonly length: number;
}

const lastAxis = (_shape: readonly number[], { length }: LayerNormAttrs) => ({ length, inner: 1 });

/** The row's mean `m` and reciprocal standard deviation `r` (two passes over input 0). */
const moments = ({ length, eps }: LayerNormAttrs): RowPass[] => [
  { folds: (_m, x) => [{ op: 'sum', value: x(0) }], then: (m, [s]) => [m.div(s, m.const(length))] },
  {
    folds: (m, x, [mean]) => {
      const d = m.bind(m.sub(x(0), mean));
      return [{ op: 'sum', value: m.mul(d, d) }];
    },
    then: (m, [q], [mean]) => [mean, m.div(m.const(1), m.sqrt(m.add(m.div(q, m.const(length)), m.const(eps))))],
  },
];

const normalizeRule: RowRule<LayerNormAttrs> = {
  layout: lastAxis,
  width: 2,
  passes: (_layout, attrs) => moments(attrs),
  element: ([x], [m, r]) => `(${x} - ${m}) * ${r}`,
};

// dx = rstd * (g - mean(g) - xhat * mean(g * xhat)), per row; inputs [x, g]
const normalizeGradRule: RowRule<LayerNormAttrs> = {
  layout: lastAxis,
  width: 4,
  passes: (_layout, attrs) => [
    ...moments(attrs),
    {
      folds: (m, x, [mean, r]) => {
        const g = m.bind(x(1));
        return [
          { op: 'sum', value: g },
          { op: 'sum', value: m.mul(m.mul(g, m.sub(x(0), mean)), r) },
        ];
      },
      then: (m, [ga, gx], [mean, r]) => [mean, r, m.div(ga, m.const(attrs.length)), m.div(gx, m.const(attrs.length))],
    },
  ],
  element: ([x, g], [m, r, ga, gx], _attrs, local) => {
    const rstd = local(r);
    return `${rstd} * (${g} - ${ga} - (${x} - ${m}) * ${rstd} * ${gx})`;
  },
};

// over the last axis: batched operands are just more rows (unbatched ones broadcast along the mapped axis)
export const normalizeGradP: Primitive<LayerNormAttrs> = definePrimitive({
  name: 'layerNormGrad',
  transforms: ['vjp', 'batch'],
  shape: (inputs, _attrs: LayerNormAttrs) => sameShape('layerNormGrad', inputs),
  lowering: { kernel: (out, inputs, attrs) => rowLowering(normalizeGradRule, out, inputs, attrs) },
  vjp: (h, out, [x, g], attrs) => normalizeGradVjp(h, out, x, g, attrs),
  batch: (inputs, batched, attrs, { expand }) => apply(normalizeGradP, inputs.map((x, k) => (batched[k] ? x : expand(x))), attrs),
});
registerRows(normalizeGradP, normalizeGradRule);

/**
 * The VJP of out = J g, J = r (I - 11ᵀ/n - x̂ x̂ᵀ/n) the (symmetric) Jacobian of x̂ = (x - mean) r:
 * for g it is J h; for x, -r (mean(h out) x̂ + mean(g x̂) J h + mean(h x̂) out), per row. In
 * differentiable ops, so that it can be differentiated again.
 */
function normalizeGradVjp(h: Tensor, out: Tensor, x: Tensor, g: Tensor, attrs: LayerNormAttrs): [Tensor, Tensor] {
  const rowMean = (t: Tensor) => mean(t, -1, true);
  const centered = sub(x, rowMean(x));
  const r = rsqrt(addScalar(rowMean(mul(centered, centered)), attrs.eps));
  const xhat = apply(normalizeP, [x], attrs);
  const jh = apply(normalizeGradP, [x, h], attrs);
  const terms = add(add(mul(rowMean(mul(h, out)), xhat), mul(rowMean(mul(g, xhat)), jh)), mul(rowMean(mul(h, xhat)), out));
  return [neg(mul(r, terms)), jh];
}

export const normalizeP: Primitive<LayerNormAttrs> = definePrimitive({
  name: 'layerNormalize',
  transforms: ['vjp', 'batch'],
  shape: ([x], _attrs: LayerNormAttrs) => layerNormShape(x),
  lowering: { kernel: (out, inputs, attrs) => rowLowering(normalizeRule, out, inputs, attrs) },
  vjp: (g, _out, [x], attrs) => [apply(normalizeGradP, [x, g], attrs)],
  batch: ([x], _b, attrs) => apply(normalizeP, [x], attrs),
});
registerRows(normalizeP, normalizeRule);

/** (x - mean) / sqrt(var + eps) over the last axis (biased variance, as torch). */
export function layerNormalize<S extends Shape>(x: Tensor<S>, eps = 1e-5): Tensor<S> {
  return apply(normalizeP, [x], { eps, length: layerNormShape(x.shape)[x.shape.length - 1] });
}

/** torch.nn.LayerNorm over the last axis: normalize, then scale by `weight` and shift by `bias`. */
export function layerNorm<R extends Shape, E extends number>(
  x: Tensor<[...R, E]>,
  weight: Tensor<[NoInfer<E>]>,
  bias: Tensor<[NoInfer<E>]>,
  eps = 1e-5,
): Tensor<[...R, E]> {
  layerNormParamsShape(x.shape, weight.shape, bias.shape);
  return add(mul(layerNormalize(x, eps), weight), bias);
}
