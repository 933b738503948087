// The matmuls a ViT training step runs, derived from a bench config (measure.ts: the quick preset,
// the small config, seed) and the batch, for the GEMM benches (matmul.ts against TF.js, relaxed-ab.ts
// relaxed against plain SIMD). Each distinct shape once, with how often one step runs it.
import { matmulPlan, type MatmulPlan } from '../src/dsl/ops/matmul.js';
import { recipeConfig, type Tensor } from '../src/core.js';
import { configs, type ConfigName } from './measure.js';

export interface Case {
  readonly name: string;
  readonly a: number[];
  readonly b: number[];
  readonly transposeA?: boolean;
  readonly transposeB?: boolean;
  /** calls of this shape in one training step (forward and backward) */
  readonly calls: number;
}

/** The step's matmuls of config `name` at `batch` (the classifier head's tiny ones left out). */
export function vitMatmuls(name: ConfigName, batch = 128): Case[] {
  const c = recipeConfig(configs[name]);
  const [bt, e, m, l] = [batch * c.tokens, c.embedDim, c.mlpDim, c.layers];
  const [bh, t, hd, bp, pd] = [batch * c.heads, c.tokens, c.headDim, batch * c.numPatches, c.patchDim];
  // a linear layer x [rows, from] -> [rows, to] (weight [to, from], PyTorch's layout): forward, dX, dW
  const linear = (label: string, rows: number, from: number, to: number, calls: number, backX = true): Case[] => [
    { name: `${label} [${rows},${from}]x[${to},${from}]ᵀ`, a: [rows, from], b: [to, from], transposeB: true, calls },
    ...(backX ? [{ name: `${label} dX [${rows},${to}]x[${to},${from}]`, a: [rows, to], b: [to, from], calls }] : []),
    { name: `${label} dW [${rows},${to}]ᵀx[${rows},${from}]`, a: [rows, to], b: [rows, from], transposeA: true, calls },
  ];
  // attention per (image, head): q·kᵀ (and dP·vᵀ), w·v (and dS·k), wᵀ·dO (and dSᵀ·q)
  const attention: Case[] = [
    { name: `attn q·kᵀ [${bh},${t},${hd}]x[${bh},${t},${hd}]ᵀ`, a: [bh, t, hd], b: [bh, t, hd], transposeB: true, calls: 2 * l },
    { name: `attn w·v [${bh},${t},${t}]x[${bh},${t},${hd}]`, a: [bh, t, t], b: [bh, t, hd], calls: 2 * l },
    { name: `attn dV [${bh},${t},${t}]ᵀx[${bh},${t},${hd}]`, a: [bh, t, t], b: [bh, t, hd], transposeA: true, calls: 2 * l },
  ];
  return [
    ...linear('patches', bp, pd, e, 1, false),
    ...linear('qkv', bt, e, 3 * e, l),
    ...attention,
    ...linear('out proj', bt, e, e, l),
    ...linear('fc1', bt, e, m, l),
    ...linear('fc2', bt, m, e, l),
  ];
}

/** The GEMM launch of a case, as webasm's matmul plans it. */
export function planOf(c: Case): MatmulPlan {
  const ra = c.a.length;
  const [m, k] = c.transposeA ? [c.a[ra - 1], c.a[ra - 2]] : [c.a[ra - 2], c.a[ra - 1]];
  const n = c.transposeB ? c.b[c.b.length - 2] : c.b[c.b.length - 1];
  const batch = c.a.slice(0, -2).reduce((p, q) => p * q, 1);
  // matmulPlan reads only the output's size
  return matmulPlan({ size: batch * m * n } as Tensor, { m, k, n, transposeA: !!c.transposeA, transposeB: !!c.transposeB, batchedB: c.b.length > 2 });
}

/** Multiply-adds times two of one call of a case. */
export function flopsOf(c: Case): number {
  const p = planOf(c);
  return 2 * p.batch * p.m * p.n * p.k;
}

/** vitMatmuls for a --config flag's value; an unknown name is refused. */
export function matmulsOfConfigFlag(name: string): Case[] {
  if (!(name in configs)) throw new Error(`--config: quick, small or seed, got '${name}'`);
  return vitMatmuls(name as ConfigName);
}
