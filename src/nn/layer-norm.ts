// torch.nn.LayerNorm over the last axis, with its parameters.
import { layerNorm as layerNormOp, type Tensor } from '../dsl/index.js';
import type { Shape } from '../dsl/shape-types.js';
import { onesParam, zerosParam } from './init.js';

export interface LayerNorm<E extends number> {
  readonly weight: Tensor<[E]>;
  readonly bias: Tensor<[E]>;
}

export function initLayerNorm<const E extends number>(dim: E): LayerNorm<E> {
  return { weight: onesParam([dim]), bias: zerosParam([dim]) };
}

export function applyLayerNorm<R extends Shape, E extends number>(p: LayerNorm<E>, x: Tensor<[...R, NoInfer<E>]>, eps = 1e-5): Tensor<[...R, E]> {
  return layerNormOp(x, p.weight, p.bias, eps);
}
