// webasm's matmul: the project's WebAssembly SIMD GEMM (webasm-gemm.ts) on the operands' host
// values, which is what webasm storage is; gpu.js's generated wasm gathers operands lane by lane.
import type { BackendLowering } from '../kernel-table.js';
import { matmulPlan, type MatmulAttrs } from '../ops/matmul.js';
import { gemm } from './webasm-gemm.js';

export const webasmMatmul: BackendLowering<'webasm', MatmulAttrs> = (out, _in, attrs) => {
  const p = matmulPlan(out, attrs);
  return async (backend, [a, b]) => backend.adopt(await gemm(p, backend.values(a), backend.values(b), backend.allocate(out.size)));
};
