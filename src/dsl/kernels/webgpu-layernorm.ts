// webgpu's layerNormalize and its gradient: one thread per row computes all of the row's
// statistics at once (a vec2 / vec4 return), then one elementwise kernel: the gradient takes 2
// kernels, not the portable 3, and no statistic is computed twice.
import type { KernelSpec } from '../backend.js';
import type { BackendLowering } from '../kernel-table.js';
import { kernelSource, lit } from '../kernel-source.js';
import { normalizeGradP, normalizeP, type LayerNormAttrs } from '../ops/layernorm.js';
import type { Lowering } from '../tensor.js';
import { packedRun } from './webgpu-packed.js';

const lines = (...ls: readonly string[]) => ls.join('\n  ');

/** Statements binding row i's mean `m` and reciprocal standard deviation `r` (two passes). */
const rowMoments = ({ length, eps }: LayerNormAttrs) =>
  lines(
    `const base = i * ${length};`,
    'let s = 0.0;',
    `for (let l = 0; l < ${length}; l++) { s += x[base + l]; }`,
    `const m = s / ${lit(length)};`,
    'let v = 0.0;',
    `for (let l = 0; l < ${length}; l++) { const d = x[base + l] - m; v += d * d; }`,
    `const r = 1.0 / Math.sqrt(v / ${lit(length)} + ${lit(eps)});`,
  );

/** Statements binding element i's row `row`, a multiple of `width` floats into `st`. */
const rowOfElement = (length: number, width: number) => `const row = Math.floor((i + 0.5) / ${length}) * ${width};`;

/** Row statistics (`width` floats per row, one thread per row), then the elementwise kernel reading them last. */
const rowsThenElements = (stats: KernelSpec, width: 2 | 4, elements: KernelSpec, portable: Lowering) =>
  packedRun(async (backend, args) => {
    const st = await backend.runPacked(stats, width, args);
    try {
      return await backend.run(elements, [...args, st]);
    } finally {
      backend.release(st);
    }
  }, portable);

export const webgpuLayerNormalize: BackendLowering<'webgpu', LayerNormAttrs> = (out, inputs, attrs) => {
  const rows = out.size / attrs.length;
  const stats = kernelSource(['x'], lines(rowMoments(attrs), 'return [m, r];'));
  const norm = kernelSource(['x', 'st'], lines(rowOfElement(attrs.length, 2), 'return (x[i] - st[row]) * st[row + 1];'));
  return rowsThenElements({ source: stats, length: rows * 2 }, 2, { source: norm, length: out.size }, normalizeP.lower(out, inputs, attrs));
};

// dx = rstd * (g - mean(g) - xhat * mean(g * xhat)), per row
export const webgpuLayerNormGrad: BackendLowering<'webgpu', LayerNormAttrs> = (out, inputs, attrs) => {
  const { length } = attrs;
  const rows = out.size / length;
  const stats = kernelSource(
    ['x', 'g'],
    lines(
      rowMoments(attrs),
      'let ga = 0.0;',
      'let gx = 0.0;',
      `for (let l = 0; l < ${length}; l++) { const gv = g[base + l]; ga += gv; gx += gv * (x[base + l] - m) * r; }`,
      `return [m, r, ga / ${lit(length)}, gx / ${lit(length)}];`,
    ),
  );
  const dx = kernelSource(
    ['x', 'g', 'st'],
    lines(rowOfElement(length, 4), 'const r = st[row + 1];', 'const xhat = (x[i] - st[row]) * r;', 'return r * (g[i] - st[row + 2] - xhat * st[row + 3]);'),
  );
  return rowsThenElements({ source: stats, length: rows * 4 }, 4, { source: dx, length: out.size }, normalizeGradP.lower(out, inputs, attrs));
};
