// The matmuls a small-config ViT training step runs (B=128, T=17, E=128, H=4, MLP 256), for the
// GEMM benches (matmul.ts against TF.js, relaxed-ab.ts relaxed against plain SIMD).
import { matmulPlan, type MatmulPlan } from '../src/dsl/ops/matmul.js';
import type { Tensor } from '../src/index.js';

export interface Case {
  readonly name: string;
  readonly a: number[];
  readonly b: number[];
  readonly transposeA?: boolean;
  readonly transposeB?: boolean;
}

export const cases: Case[] = [
  { name: 'qkv proj     [2176,128]x[384,128]ᵀ', a: [2176, 128], b: [384, 128], transposeB: true },
  { name: 'fc1          [2176,128]x[256,128]ᵀ', a: [2176, 128], b: [256, 128], transposeB: true },
  { name: 'fc1 dX       [2176,256]x[256,128]', a: [2176, 256], b: [256, 128] },
  { name: 'fc1 dW       [2176,256]ᵀx[2176,128]', a: [2176, 256], b: [2176, 128], transposeA: true },
  { name: 'attn q·kᵀ    [512,17,32]x[512,17,32]ᵀ', a: [512, 17, 32], b: [512, 17, 32], transposeB: true },
  { name: 'attn w·v     [512,17,17]x[512,17,32]', a: [512, 17, 17], b: [512, 17, 32] },
  { name: 'attn dV      [512,17,17]ᵀx[512,17,32]', a: [512, 17, 17], b: [512, 17, 32], transposeA: true },
];

/** The GEMM launch of a case, as webasm's matmul plans it. */
export function planOf(c: Case): MatmulPlan {
  const ra = c.a.length;
  const [m, k] = c.transposeA ? [c.a[ra - 1], c.a[ra - 2]] : [c.a[ra - 2], c.a[ra - 1]];
  const n = c.transposeB ? c.b[c.b.length - 2] : c.b[c.b.length - 1];
  const batch = c.a.slice(0, -2).reduce((p, q) => p * q, 1);
  // matmulPlan reads only the output's size
  return matmulPlan({ size: batch * m * n } as Tensor, { m, k, n, transposeA: !!c.transposeA, transposeB: !!c.transposeB, batchedB: c.b.length > 2 });
}
