// torch.nn.Linear: y = x Wᵀ + b with W stored [out, in].
import { add, matmul, type Tensor } from '../dsl/index.js';
import { xavierUniform, zerosParam } from './init.js';

export interface Linear<I extends number, O extends number> {
  readonly weight: Tensor<[O, I]>;
  readonly bias: Tensor<[O]>;
}

/** Xavier-uniform weight, zero bias (the recipe's init for every Linear). */
export function initLinear<const I extends number, const O extends number>(inDim: I, outDim: O, seed: number): Linear<I, O> {
  return { weight: xavierUniform([outDim, inDim] as [O, I], seed), bias: zerosParam([outDim] as [O]) };
}

/** Applies a Linear over the last axis: [...B, I] -> [...B, O]; a wrong I is a compile-time error. */
export function linear<const B extends readonly number[], I extends number, O extends number>(p: Linear<I, O>, x: Tensor<[...B, NoInfer<I>]>): Tensor<[...B, O]> {
  const y = matmul(x as Tensor, p.weight as Tensor, { transposeB: true }) as Tensor;
  return add(y, p.bias as Tensor) as unknown as Tensor<[...B, O]>;
}
