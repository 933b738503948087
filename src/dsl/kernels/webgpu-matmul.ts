// webgpu's matmul: our tiled WGSL kernel, else gpu.js kernels. The packed gpu.js kernel: 4 consecutive outputs of a row per thread (a WGSL vec4 return) with 4
// accumulators, both operands read in place at their strides (no transposed or permuted copies).
import type { BackendLowering } from '../kernel-table.js';
import { kernelSource } from '../kernel-source.js';
import { portableLowering } from '../primitive.js';
import { stridedIndexers, stridedMatmul, type MatmulAttrs, type StridedMatmul } from '../ops/matmul.js';
import { packedRun } from './webgpu-packed.js';
import { matmulTile, tiledMatmul } from './webgpu-tiled-matmul.js';

const lanes = [0, 1, 2, 3];

/**
 * Thread t makes the 4 outputs of one row starting at flat index 4t (4 | n), so each step along k
 * loads one value of a for 4 multiply-adds: 1.25 loads per multiply-add, not 2.
 */
export function packedMatmulSource(p: StridedMatmul): string {
  if (p.n % 4) throw new Error(`internal: packed matmul needs 4 | n, got n = ${p.n}`);
  const ix = stridedIndexers(p, 'i * 4');
  const step = (base: string, offset: number, stride: number) => `${base}${offset ? ` + ${offset}` : ''} + l${stride === 1 ? '' : ` * ${stride}`}`;
  const body = [
    ix.coordinates,
    `const a0 = ${ix.a(ix.r, '0')};`,
    `const b0 = ${ix.b('0', ix.c)};`,
    ...lanes.map((j) => `let s${j} = 0.0;`),
    `for (let l = 0; l < ${p.k}; l++) {`,
    `  const av = a[${step('a0', 0, p.a.col)}];`,
    // the 4 columns c .. c + 3 of op(b), each `b.col` after the previous
    ...lanes.map((j) => `  s${j} += av * b[${step('b0', j * p.b.col, p.b.row)}];`),
    '}',
    'return [s0, s1, s2, s3];',
  ];
  return kernelSource(['a', 'b'], body.join('\n  '));
}

/**
 * Our tiled WGSL kernel (webgpu-tiled-matmul.ts) wherever the device allows its launch, except for
 * many small products (attention's per-head [17, 17] and [17, 32]: a 32 x 32 tile is mostly
 * padding; gpu.js's kernels measured 1.5-4x faster there on Mesa, README); else rows of 4 | n
 * outputs take the packed gpu.js kernel and other widths the portable one-output kernel.
 */
export const webgpuMatmul: BackendLowering<'webgpu', MatmulAttrs> = (out, inputs, attrs, strides) => {
  const plan = stridedMatmul(out, inputs, attrs, strides);
  const portable = portableLowering(out, strides);
  const packed = plan.n % 4 ? null : packedMatmulSource(plan);
  return packedRun((backend, args) => {
    const small = plan.m <= 32 && plan.n <= 32;
    const tiled = small || !backend.tiledMatmul ? null : tiledMatmul(plan, matmulTile(plan, backend.wgslLimits), backend.wgslLimits);
    if (tiled) return backend.runWgsl(tiled, args);
    return packed ? backend.runPacked({ source: packed, length: out.size }, 4, args) : portable(backend, args);
  }, portable);
};
