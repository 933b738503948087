// Child process of relaxed-simd.test.ts: webasm's GEMM on shapes that take every path (threaded by
// rows and by batches, one thread, transposes, packed Aᵀ, row and column tails) and one small
// differentiated graph, printed as JSON with whether relaxed SIMD was emitted. The parent starts it
// with and without --experimental-wasm-relaxed-simd and compares the two.
import * as sv from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { gemm } from '../../src/dsl/kernels/webasm-gemm.js';
import { relaxedSimd } from '../../src/dsl/kernels/wasm-features.js';
import type { MatmulPlan } from '../../src/dsl/ops/matmul.js';
import { randomArray } from './reference.js';

export const plans: MatmulPlan[] = [
  { batch: 1, m: 2176, k: 128, n: 384, transposeA: false, transposeB: true, batchedB: false }, // threaded by rows
  { batch: 1, m: 256, k: 2176, n: 128, transposeA: true, transposeB: false, batchedB: false }, // packed Aᵀ, threaded
  { batch: 512, m: 17, k: 32, n: 17, transposeA: false, transposeB: true, batchedB: true }, // threaded by batches
  { batch: 3, m: 7, k: 5, n: 13, transposeA: true, transposeB: false, batchedB: true }, // one thread, tails
  { batch: 1, m: 9, k: 1, n: 8, transposeA: false, transposeB: false, batchedB: false },
  { batch: 1, m: 10, k: 72, n: 14571, transposeA: false, transposeB: false, batchedB: false }, // panels outer, split by columns
];

/** Float64 op(A) op(B) of a plan. */
export function reference(p: MatmulPlan, a: Float32Array, b: Float32Array): Float64Array {
  const out = new Float64Array(p.batch * p.m * p.n);
  for (let z = 0; z < p.batch; z++) {
    for (let r = 0; r < p.m; r++) {
      for (let c = 0; c < p.n; c++) {
        let acc = 0;
        for (let l = 0; l < p.k; l++) {
          const av = a[z * p.m * p.k + (p.transposeA ? l * p.m + r : r * p.k + l)];
          const bv = b[(p.batchedB ? z * p.k * p.n : 0) + (p.transposeB ? c * p.k + l : l * p.n + c)];
          acc += av * bv;
        }
        out[(z * p.m + r) * p.n + c] = acc;
      }
    }
  }
  return out;
}

export const operands = (p: MatmulPlan, seed: number) => [
  Float32Array.from(randomArray(p.batch * p.m * p.k, seed)),
  Float32Array.from(randomArray((p.batchedB ? p.batch : 1) * p.k * p.n, seed + 1)),
];

if (process.argv[1]?.endsWith('relaxed-simd-child.js')) {
  const gemms: string[] = [];
  for (const [i, p] of plans.entries()) {
    const [a, b] = operands(p, 100 + i);
    const c = await gemm(p, a, b);
    gemms.push(Buffer.from(c.buffer, c.byteOffset, c.byteLength).toString('base64'));
  }
  // a Linear with GELU and its gradient through the DSL (matmuls forward and backward)
  sv.setBackend('webasm');
  const x = sv.fromTypedArray(Float32Array.from(randomArray(40 * 24, 7)), [40, 24]);
  const w = sv.fromTypedArray(Float32Array.from(randomArray(20 * 24, 8)), [20, 24]);
  const [loss, dw] = sv.valueAndGrad((v: Tensor<[20, 24]>) => sv.sum(sv.gelu(sv.matmul(x, v, { transposeB: true }))))(w);
  const graph = { loss: (await loss.data())[0], dw: Array.from(await dw.data()) };
  // the float32 results as base64 (megabytes): exit once stdout has taken them
  process.stdout.write(`${JSON.stringify({ relaxed: relaxedSimd(), description: (await sv.backend()).description, gemms, graph })}\n`, () => process.exit(0));
}
