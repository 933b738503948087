// cpu's matmul: a kernel map of 4 row planes per thread, both operands read along k.
import type { CpuBackend, Storage } from '../backend.js';
import type { BackendLowering } from '../kernel-table.js';
import { coordinates, kernelSource } from '../kernel-source.js';
import { matmulPlan, type MatmulAttrs, type MatmulPlan } from '../ops/matmul.js';

const lines = (...ls: readonly string[]) => ls.join('\n  ');
const rows4 = [0, 1, 2, 3];
const sums4 = rows4.map((j) => `let s${j} = 0.0;`);

/**
 * cpu kernels are plain JS, one call per cell; the one-cell kernel does 2 loads per multiply-add,
 * one of them strided. Here both operands are read along k contiguously (the ones stored the other
 * way are transposed first: O(size) copies), and each thread makes 4 outputs sharing every load of
 * b: rows r, r + m/4, r + 2m/4, r + 3m/4 of its batch, so the kernel map's 4 outputs are 4 blocks
 * of rows (for one batch and 4 | m, concatenated they are the result; else a permute follows).
 * Not Array(4) returns: on cpu they allocate a Float32Array per cell.
 */
export const cpuMatmul: BackendLowering<'cpu', MatmulAttrs> = (out, _in, attrs) => {
  const p = matmulPlan(out, attrs);
  return (backend, args) => rowPlanesCpu(backend, args, p);
};

async function rowPlanesCpu(backend: CpuBackend, [a, b]: readonly Storage[], p: MatmulPlan): Promise<Storage> {
  const mq = Math.ceil(p.m / 4);
  const body = lines(
    coordinates([p.batch, mq, p.n]),
    ...rows4.map((j) => `const a${j} = c0 * ${p.m * p.k} + Math.min(c1 + ${j * mq}, ${p.m - 1}) * ${p.k};`),
    `const bc = ${p.batchedB ? `c0 * ${p.n * p.k} + ` : ''}c2 * ${p.k};`,
    ...sums4,
    `for (let l = 0; l < ${p.k}; l++) {`,
    '  const bv = b[bc + l];',
    ...rows4.map((j) => `  s${j} += a[a${j} + l] * bv;`),
    '}',
    'out1(s1);',
    'out2(s2);',
    'out3(s3);',
    'return s0;',
  );
  const temps: Storage[] = [];
  try {
    if (p.transposeA) temps.push((a = await transposed(backend, a, p.batch, p.k, p.m)));
    if (!p.transposeB) temps.push((b = await transposed(backend, b, p.batchedB ? p.batch : 1, p.k, p.n)));
    const planes = await backend.runMap({ source: kernelSource(['a', 'b'], body), length: 4 * p.batch * mq * p.n }, 3, [a, b]);
    if (p.batch === 1 && 4 * mq === p.m) return planes;
    temps.push(planes);
    const permute = lines(coordinates([p.batch, p.m, p.n]), `const j = Math.floor(c1 / ${mq});`, `return p[((j * ${p.batch} + c0) * ${mq} + c1 - j * ${mq}) * ${p.n} + c2];`);
    return await backend.run({ source: kernelSource(['p'], permute), length: p.batch * p.m * p.n }, [planes]);
  } finally {
    for (const t of temps) backend.release(t);
  }
}

/** x [batch, rows, cols] as [batch, cols, rows]. */
function transposed(backend: CpuBackend, x: Storage, batch: number, rows: number, cols: number): Promise<Storage> {
  const source = kernelSource(['x'], lines(coordinates([batch, cols, rows]), `return x[c0 * ${rows * cols} + c2 * ${cols} + c1];`));
  return backend.run({ source, length: batch * rows * cols }, [x]);
}

