// webasm's matmul: the project's WebAssembly SIMD GEMM (webasm-gemm.ts) on the operands' host
// values, which is what webasm storage is; gpu.js's generated wasm gathers operands lane by lane.
// With an epilogue (fusion.ts): the elementwise group reading the product (bias, GELU, a residual
// add) computed as the GEMM stores its tiles.
import type { BackendLowering, EpilogueCompiler } from '../kernel-table.js';
import { matmulPlan, type MatmulAttrs } from '../ops/matmul.js';
import { stridesOf } from '../kernel-source.js';
import type { Tensor } from '../tensor.js';
import { gemm, type EpilogueAccess, type EpilogueCode } from './webasm-gemm.js';
import { broadcastStrides, groupProgram } from './webasm-elementwise.js';

export const webasmMatmul: BackendLowering<'webasm', MatmulAttrs> = (out, _in, attrs) => {
  const p = matmulPlan(out, attrs);
  return async (backend, [a, b]) => backend.adopt(await gemm(p, backend.values(a), backend.values(b), backend.allocate(out.size)));
};

/** How the epilogue reads `operand` at the product's elements, or null when no way fits (a broadcast along rows). */
function accessOf(operand: Tensor, out: readonly number[]): EpilogueAccess | null {
  const strides = broadcastStrides(operand.shape, out);
  const own = stridesOf(out);
  // an axis of size 1 is never walked
  const walked = (k: number) => out[k] !== 1;
  if (strides.every((s, k) => s === 0 || !walked(k))) return 'scalar';
  if (strides.every((s, k) => s === own[k] || !walked(k))) return 'full';
  const last = strides.length - 1;
  if (strides[last] === 1 && strides.every((s, k) => k === last || s === 0 || !walked(k))) return 'column';
  return null;
}

export const webasmMatmulEpilogue: EpilogueCompiler<'webasm'> = (producer, root, nodes, externals) => {
  const group = groupProgram(root, nodes, externals);
  const others = externals.filter((e) => e !== producer);
  const access = others.map((e) => accessOf(e, producer.shape));
  if (!group || access.includes(null)) return null;
  const at = externals.indexOf(producer);
  const code: EpilogueCode = {
    key: group.key,
    access: access as EpilogueAccess[],
    // the group's externals in order, the product's vector in its place
    value: (s, c, operands) => group.value(s, [...operands.slice(0, at), c, ...operands.slice(at)]),
  };
  const p = matmulPlan(producer, producer.attrs as MatmulAttrs);
  const length = producer.size;
  return async (backend, [a, b, ...rest]) =>
    backend.adopt(await gemm(p, backend.values(a), backend.values(b), backend.allocate(length), code, rest.map((o) => backend.values(o))));
};
