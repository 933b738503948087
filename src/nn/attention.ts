// torch.nn.MultiheadAttention self-attention (batch_first): in_proj rows are q | k | v, heads take
// contiguous slices of E, scores scaled by 1/sqrt(E/H), softmax over keys. Generic over every dim:
// the head width is HeadWidth<E, H> throughout, and mergeHeads gives E back.
import { chunk, dropout, type Seed, einsum, exactMul, mergeHeads, mulScalar, softmax, splitHeads, type Tensor } from '../dsl/index.js';
import type { Mul } from '../dsl/shape-types.js';
import { initLinear, linear, type Linear } from './linear.js';
import { xavierUniform, zerosParam } from './init.js';

export interface MultiheadAttention<E extends number> {
  readonly inProjWeight: Tensor<[Mul<3, E>, E]>;
  readonly inProjBias: Tensor<[Mul<3, E>]>;
  readonly outProj: Linear<E, E>;
}

export function initMultiheadAttention<const E extends number>(dim: E, seed: () => number): MultiheadAttention<E> {
  const rows = exactMul(3, dim);
  return { inProjWeight: xavierUniform([rows, dim], seed()), inProjBias: zerosParam([rows]), outProj: initLinear(dim, dim, seed()) };
}

export interface AttentionOptions {
  /** dropout on the attention weights (torch MultiheadAttention(dropout=p)); needs `seed` */
  readonly dropout?: number;
  readonly seed?: Seed;
}

/** softmax(q kᵀ / sqrt(D)) v over [B, H, T, D] (heads are a batch axis), and the weights [B, H, T, T] (after softmax, before dropout). */
export function scaledDotProductAttention<B extends number, H extends number, T extends number, D extends number>(
  q: Tensor<[B, H, T, D]>,
  k: Tensor<[B, H, T, D]>,
  v: Tensor<[B, H, T, D]>,
  options: AttentionOptions = {},
): { out: Tensor<[B, H, T, D]>; weights: Tensor<[B, H, T, T]> } {
  // the same single matmul kernels as matmul(q, k, { transposeB: true }) and matmul(weights, v)
  const scores = mulScalar(einsum('bhqd,bhkd->bhqk', q, k), 1 / Math.sqrt(q.shape[3]));
  const weights = softmax(scores);
  return { out: einsum('bhqk,bhkd->bhqd', options.dropout ? dropout(weights, options.dropout, options.seed ?? 0) : weights, v), weights };
}

/**
 * Self-attention over [B, T, E]. `heads` must divide E: checked where the dims are literals (the
 * ViT config type) and again at runtime by splitHeads.
 */
export function selfAttention<B extends number, T extends number, E extends number, H extends number>(
  p: MultiheadAttention<E>,
  x: Tensor<[B, T, E]>,
  heads: H,
  options: AttentionOptions = {},
): Tensor<[B, T, E]> {
  return selfAttentionWithWeights(p, x, heads, options).out;
}

/** Self-attention and its attention weights [B, heads, T(query), T(key)] (after softmax, before dropout). */
export function selfAttentionWithWeights<B extends number, T extends number, E extends number, H extends number>(
  p: MultiheadAttention<E>,
  x: Tensor<[B, T, E]>,
  heads: H,
  options: AttentionOptions = {},
): { out: Tensor<[B, T, E]>; weights: Tensor<[B, H, T, T]> } {
  const [q, k, v] = chunk(linear({ weight: p.inProjWeight, bias: p.inProjBias }, x), 3, x.shape[2]);
  const context = scaledDotProductAttention(splitHeads(q, heads), splitHeads(k, heads), splitHeads(v, heads), options);
  return { out: linear(p.outProj, mergeHeads(context.out)), weights: context.weights };
}
