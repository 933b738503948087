// LayerNorm over the last axis. The fused primitive is `normalize` ((x - mean) * rstd, forward and
// backward each a row-statistics kernel plus one elementwise kernel); the affine part is a
// broadcast multiply-add.
import { apply, type Primitive, type Tensor } from '../tensor.js';
import { layerNormParamsShape, layerNormShape, sameShape } from '../shape-rules.js';
import type { Shape } from '../shape-types.js';
import { kernelSource, lit, programLowering } from '../kernel-source.js';
import { add, mul } from './elementwise.js';

/** Per row: [mean, rstd] interleaved, output length 2 * rows. */
function statsSource(length: number, eps: number): string {
  const body =
    `const row = Math.floor((i + 0.5) / 2);\n  const base = row * ${length};\n` +
    `  let s = 0.0;\n  for (let l = 0; l < ${length}; l++) { s += x[base + l]; }\n  const m = s / ${lit(length)};\n` +
    `  let v = 0.0;\n  for (let l = 0; l < ${length}; l++) { const d = x[base + l] - m; v += d * d; }\n` +
    `  if (i - row * 2 == 0) { return m; }\n  return 1.0 / Math.sqrt(v / ${lit(length)} + ${lit(eps)});`;
  return kernelSource(['x'], body);
}

export interface LayerNormAttrs {
  readonly eps: number;
  readonly length: number;
}

export const normalizeGradP: Primitive<LayerNormAttrs> = {
  name: 'layerNormGrad',
  shape: (inputs) => sameShape('layerNormGrad', inputs),
  // dx = rstd * (g - mean(g) - xhat * mean(g * xhat)), per row
  lower: (out, _in, { eps, length }) => {
    const rows = out.size / length;
    const rowSums = kernelSource(
      ['x', 'g', 'st'],
      `const row = Math.floor((i + 0.5) / 2);\n  const base = row * ${length};\n  const m = st[row * 2];\n  const r = st[row * 2 + 1];\n` +
        `  let a = 0.0;\n  let b = 0.0;\n  for (let l = 0; l < ${length}; l++) { const gv = g[base + l]; a += gv; b += gv * (x[base + l] - m) * r; }\n` +
        `  if (i - row * 2 == 0) { return a / ${lit(length)}; }\n  return b / ${lit(length)};`,
    );
    const dx = kernelSource(
      ['x', 'g', 'st', 'sums'],
      `const row = Math.floor((i + 0.5) / ${length});\n  const r = st[row * 2 + 1];\n  const xhat = (x[i] - st[row * 2]) * r;\n` +
        `  return r * (g[i] - sums[row * 2] - xhat * sums[row * 2 + 1]);`,
    );
    // values: 0 x, 1 g, 2 row stats, 3 row sums
    return programLowering({
      kernels: [
        { spec: { source: statsSource(length, eps), length: rows * 2 }, args: [0] },
        { spec: { source: rowSums, length: rows * 2 }, args: [0, 1, 2] },
        { spec: { source: dx, length: out.size }, args: [0, 1, 2, 3] },
      ],
    });
  },
};

export const normalizeP: Primitive<LayerNormAttrs> = {
  name: 'layerNormalize',
  shape: ([x]) => layerNormShape(x),
  lower: (out, _in, { eps, length }) => {
    const rows = out.size / length;
    const norm = kernelSource(['x', 'st'], `const row = Math.floor((i + 0.5) / ${length});\n  return (x[i] - st[row * 2]) * st[row * 2 + 1];`);
    return programLowering({
      kernels: [
        { spec: { source: statsSource(length, eps), length: rows * 2 }, args: [0] },
        { spec: { source: norm, length: out.size }, args: [0, 1] },
      ],
    });
  },
  vjp: (g, _out, [x], attrs) => [apply(normalizeGradP, [x, g], attrs)],
};

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
