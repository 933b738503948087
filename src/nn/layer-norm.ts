// torch.nn.LayerNorm over the last axis, with its parameters.
import { layerNorm as layerNormOp, type Tensor } from '../dsl/index.js';
import { onesParam, zerosParam } from './init.js';

export interface LayerNorm<E extends number> {
  readonly weight: Tensor<[E]>;
  readonly bias: Tensor<[E]>;
}

export function initLayerNorm<const E extends number>(dim: E): LayerNorm<E> {
  return { weight: onesParam([dim] as [E]), bias: zerosParam([dim] as [E]) };
}

export function applyLayerNorm<const B extends readonly number[], E extends number>(p: LayerNorm<E>, x: Tensor<[...B, NoInfer<E>]>, eps = 1e-5): Tensor<[...B, E]> {
  return layerNormOp(x as Tensor, p.weight as Tensor<[number]>, p.bias as Tensor<[number]>, eps) as unknown as Tensor<[...B, E]>;
}
