// webgpu's matmul: 4 consecutive outputs per thread (a WGSL vec4 return) with 4 accumulators, both
// operands read in place at their strides (no transposed copies).
import type { BackendLowering } from '../kernel-table.js';
import { coordinates, kernelSource } from '../kernel-source.js';
import { matmulIndexers, matmulP, matmulPlan, type MatmulAttrs, type MatmulPlan } from '../ops/matmul.js';
import { packedRun } from './webgpu-packed.js';

const lanes = [0, 1, 2, 3];

/**
 * Thread t makes flat outputs 4t .. 4t + 3. When 4 | n they share a row, so each step along k
 * loads one value of a for 4 multiply-adds; otherwise each has its own row and column (an odd
 * width such as attention's 17 tokens), still 4 independent accumulators per thread.
 */
export function packedMatmulSource(p: MatmulPlan): string {
  const length = p.batch * p.m * p.n;
  const aStride = p.transposeA ? p.m : 1;
  const bStride = p.transposeB ? 1 : p.n;
  const at = (base: string, stride: number) => `${base} + l${stride === 1 ? '' : ` * ${stride}`}`;
  const loop = (step: readonly string[]) => [`for (let l = 0; l < ${p.k}; l++) {`, ...step.map((s) => `  ${s}`), '}'];
  const body =
    p.n % 4 === 0
      ? (() => {
          const ix = matmulIndexers(p, 'c0');
          // the 4 columns c2 .. c2 + 3 of b, each at offset j from the first (transposed: j rows of k)
          const bAt = (j: number) => at(`b0${j === 0 ? '' : ` + ${p.transposeB ? j * p.k : j}`}`, bStride);
          return [
            coordinates([p.batch, p.m, p.n], 'i * 4'),
            `const a0 = ${ix.a('c1', '0')};`,
            `const b0 = ${ix.b('0', 'c2')};`,
            ...lanes.map((j) => `let s${j} = 0.0;`),
            ...loop([`const av = a[${at('a0', aStride)}];`, ...lanes.map((j) => `s${j} += av * b[${bAt(j)}];`)]),
          ];
        })()
      : lanes.flatMap((j) => {
          const ix = matmulIndexers(p, `o${j}_0`);
          return [
            coordinates([p.batch, p.m, p.n], `Math.min(i * 4 + ${j}, ${length - 1})`, `o${j}_`),
            `const a${j} = ${ix.a(`o${j}_1`, '0')};`,
            `const b${j} = ${ix.b('0', `o${j}_2`)};`,
            `let s${j} = 0.0;`,
          ];
        }).concat(loop(lanes.map((j) => `s${j} += a[${at(`a${j}`, aStride)}] * b[${at(`b${j}`, bStride)}];`)));
  return kernelSource(['a', 'b'], [...body, 'return [s0, s1, s2, s3];'].join('\n  '));
}

export const webgpuMatmul: BackendLowering<'webgpu', MatmulAttrs> = (out, inputs, attrs) => {
  const source = packedMatmulSource(matmulPlan(out, attrs));
  return packedRun((backend, args) => backend.runPacked({ source, length: out.size }, 4, args), matmulP.lower(out, inputs, attrs));
};
