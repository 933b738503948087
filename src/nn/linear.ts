// torch.nn.Linear: y = x Wᵀ + b with W stored [out, in].
import { add, matmul, type Tensor } from '../dsl/index.js';
import type { Shape } from '../dsl/shape-types.js';
import { xavierUniform, zerosParam } from './init.js';

export interface Linear<I extends number, O extends number> {
  readonly weight: Tensor<[O, I]>;
  readonly bias: Tensor<[O]>;
}

/** Xavier-uniform weight, zero bias (the recipe's init for every Linear). */
export function initLinear<const I extends number, const O extends number>(inDim: I, outDim: O, seed: number): Linear<I, O> {
  return { weight: xavierUniform([outDim, inDim], seed), bias: zerosParam([outDim]) };
}

/** Applies a Linear over the last axis of rows: [...R, M, I] -> [...R, M, O]; a wrong I is a compile-time error. */
export function linear<R extends Shape, M extends number, I extends number, O extends number>(p: Linear<I, O>, x: Tensor<[...R, M, NoInfer<I>]>): Tensor<[...R, M, O]> {
  return add(matmul(x, p.weight, { transposeB: true }), p.bias);
}
