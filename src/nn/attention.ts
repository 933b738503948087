// torch.nn.MultiheadAttention self-attention (batch_first): in_proj rows are q | k | v, heads take
// contiguous slices of E, scores scaled by 1/sqrt(E/H), softmax over keys.
import { dropout, matmul, mergeHeads, mulScalar, slice, softmax, splitHeads, type Tensor } from '../dsl/index.js';
import type { Mul } from '../dsl/shape-types.js';
import { initLinear, linear, type Linear } from './linear.js';
import { xavierUniform, zerosParam } from './init.js';

export interface MultiheadAttention<E extends number> {
  readonly inProjWeight: Tensor<[Mul<3, E>, E]>;
  readonly inProjBias: Tensor<[Mul<3, E>]>;
  readonly outProj: Linear<E, E>;
}

export function initMultiheadAttention<const E extends number>(dim: E, seed: () => number): MultiheadAttention<E> {
  return {
    inProjWeight: xavierUniform([3 * dim, dim] as [Mul<3, E>, E], seed()),
    inProjBias: zerosParam([3 * dim] as [Mul<3, E>]),
    outProj: initLinear(dim, dim, seed()),
  };
}

export interface AttentionOptions {
  /** dropout on the attention weights (torch MultiheadAttention(dropout=p)); needs `seed` */
  readonly dropout?: number;
  readonly seed?: number;
}

/**
 * Self-attention over [B, T, E]. `heads` must divide E (checked by the caller's config type and
 * again at runtime by splitHeads). The inner steps use shape-generic (unchecked) tensors.
 */
export function selfAttention<B extends number, T extends number, E extends number>(
  p: MultiheadAttention<E>,
  x: Tensor<[B, T, E]>,
  heads: number,
  options: AttentionOptions = {},
): Tensor<[B, T, E]> {
  return selfAttentionWithWeights(p, x, heads, options).out;
}

/** Self-attention and its attention weights [B, heads, T(query), T(key)] (after softmax, before dropout). */
export function selfAttentionWithWeights<B extends number, T extends number, E extends number>(
  p: MultiheadAttention<E>,
  x: Tensor<[B, T, E]>,
  heads: number,
  options: AttentionOptions = {},
): { out: Tensor<[B, T, E]>; weights: Tensor<[B, number, T, T]> } {
  const e = x.shape[2];
  const qkv = linear({ weight: p.inProjWeight as Tensor<[number, number]>, bias: p.inProjBias as Tensor<[number]> }, x as Tensor<[number, number, number]>) as Tensor;
  const part = (k: number) => splitHeads(slice(qkv, 2, k * e, (k + 1) * e as never) as Tensor, heads as never) as Tensor;
  const [q, k, v] = [part(0), part(1), part(2)];
  const scores = mulScalar(matmul(q, k as never, { transposeB: true }) as Tensor, 1 / Math.sqrt(e / heads));
  const weights = softmax(scores, -1);
  const dropped = options.dropout ? dropout(weights, options.dropout, options.seed ?? 0) : weights;
  const context = mergeHeads(matmul(dropped, v as never) as Tensor) as Tensor<[number, number, number]>;
  const out = linear(p.outProj as Linear<number, number>, context) as unknown as Tensor<[B, T, E]>;
  return { out, weights: weights as Tensor<[B, number, T, T]> };
}
