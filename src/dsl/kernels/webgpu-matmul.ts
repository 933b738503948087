// webgpu's matmul: 4 consecutive outputs of a row per thread (a WGSL vec4 return) with 4
// accumulators, both operands read in place at their strides (no transposed copies).
import type { BackendLowering } from '../kernel-table.js';
import { coordinates, kernelSource } from '../kernel-source.js';
import { matmulIndexers, matmulP, matmulPlan, type MatmulAttrs, type MatmulPlan } from '../ops/matmul.js';
import { packedRun } from './webgpu-packed.js';

const lanes = [0, 1, 2, 3];

/**
 * Thread t makes the 4 outputs of one row starting at flat index 4t (4 | n), so each step along k
 * loads one value of a for 4 multiply-adds: 1.25 loads per multiply-add, not 2.
 */
export function packedMatmulSource(p: MatmulPlan): string {
  if (p.n % 4) throw new Error(`internal: packed matmul needs 4 | n, got n = ${p.n}`);
  const ix = matmulIndexers(p, 'c0');
  const aStride = p.transposeA ? p.m : 1;
  const bStride = p.transposeB ? 1 : p.n;
  const at = (base: string, stride: number) => `${base} + l${stride === 1 ? '' : ` * ${stride}`}`;
  // the 4 columns c2 .. c2 + 3 of b, each at offset j from the first (transposed: j rows of k)
  const bAt = (j: number) => at(`b0${j === 0 ? '' : ` + ${p.transposeB ? j * p.k : j}`}`, bStride);
  const body = [
    coordinates([p.batch, p.m, p.n], 'i * 4'),
    `const a0 = ${ix.a('c1', '0')};`,
    `const b0 = ${ix.b('0', 'c2')};`,
    ...lanes.map((j) => `let s${j} = 0.0;`),
    `for (let l = 0; l < ${p.k}; l++) {`,
    `  const av = a[${at('a0', aStride)}];`,
    ...lanes.map((j) => `  s${j} += av * b[${bAt(j)}];`),
    '}',
    'return [s0, s1, s2, s3];',
  ];
  return kernelSource(['a', 'b'], body.join('\n  '));
}

/**
 * Rows of 4 | n outputs take the packed kernel; other widths (attention's 17 tokens) the portable
 * one-output kernel: 4 outputs from 4 different rows measured slower than it on Mesa.
 */
export const webgpuMatmul: BackendLowering<'webgpu', MatmulAttrs> = (out, inputs, attrs) => {
  const plan = matmulPlan(out, attrs);
  const portable = matmulP.lower(out, inputs, attrs);
  if (plan.n % 4) return portable;
  const source = packedMatmulSource(plan);
  return packedRun((backend, args) => backend.runPacked({ source, length: out.size }, 4, args), portable);
};
