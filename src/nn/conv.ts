// Convolution layers and GroupNorm over NCHW images (torch.nn.Conv2d without bias, nn.GroupNorm),
// typed for code generic over B, C, H, W. tsc cannot simplify a conv's output size for a generic H
// (conv-types.ts), so the layers a ResNet uses state theirs: a 3×3, padding 1 conv keeps H × W
// (`conv3x3`), and both downsampling paths, the 3×3 and the 1×1 shortcut at stride 2, give
// `Halved<H>` = ⌊(H − 1)/2⌋ + 1, so the residual add of the two type-checks generically. The
// runtime shape rules compute the same numbers.
import { add, conv2d, layerNormalize, mul, reshape, uniform, type Tensor } from '../dsl/index.js';
import type { ConvDim } from '../dsl/conv-types.js';
import { onesParam, zerosParam } from './init.js';

type Image = [number, number, number, number];

/** H after a stride-2 3×3 conv with padding 1 (= a stride-2 1×1 conv): ⌊(H − 1)/2⌋ + 1. */
export type Halved<H extends number> = ConvDim<H, 3, { readonly stride: 2; readonly padding: 1 }>;

/** A conv weight [O, I, K, K], He-uniform (bound √(6 / fan_in), fan_in = I·K·K): the scale ReLU networks keep. */
export function heUniform<const O extends number, const I extends number, const K extends number>(out: O, inC: I, k: K, seed: number): Tensor<[O, I, K, K]> {
  const b = Math.sqrt(6 / (inC * k * k));
  return uniform([out, inC, k, k], -b, b, { seed });
}

/** A 3×3 conv, stride 1, padding 1: [B, C, H, W] → [B, O, H, W]. */
export function conv3x3<B extends number, C extends number, H extends number, W extends number, O extends number>(x: Tensor<[B, C, H, W]>, w: Tensor<[O, NoInfer<C>, 3, 3]>): Tensor<[B, O, H, W]>;
export function conv3x3(x: Tensor<Image>, w: Tensor<Image>): Tensor {
  return conv2d(x, w, { padding: 1 });
}

/** A 3×3 conv, stride 2, padding 1: [B, C, H, W] → [B, O, Halved<H>, Halved<W>]. */
export function conv3x3Down<B extends number, C extends number, H extends number, W extends number, O extends number>(
  x: Tensor<[B, C, H, W]>,
  w: Tensor<[O, NoInfer<C>, 3, 3]>,
): Tensor<[B, O, Halved<H>, Halved<W>]>;
export function conv3x3Down(x: Tensor<Image>, w: Tensor<Image>): Tensor {
  return conv2d(x, w, { stride: 2, padding: 1 });
}

/** A 1×1 conv, stride 2 (a ResNet's projection shortcut): [B, C, H, W] → [B, O, Halved<H>, Halved<W>]. */
export function conv1x1Down<B extends number, C extends number, H extends number, W extends number, O extends number>(
  x: Tensor<[B, C, H, W]>,
  w: Tensor<[O, NoInfer<C>, 1, 1]>,
): Tensor<[B, O, Halved<H>, Halved<W>]>;
export function conv1x1Down(x: Tensor<Image>, w: Tensor<Image>): Tensor {
  return conv2d(x, w, { stride: 2 });
}

/** torch.nn.GroupNorm's parameters: a scale and a shift per channel. */
export interface GroupNorm<C extends number> {
  readonly weight: Tensor<[C]>;
  readonly bias: Tensor<[C]>;
}

export function initGroupNorm<const C extends number>(channels: C): GroupNorm<C> {
  return { weight: onesParam([channels]), bias: zerosParam([channels]) };
}

/**
 * torch.nn.GroupNorm(groups, C) over x [B, C, H, W]: each image's channels in `groups` groups, each
 * group normalized over its channels and pixels (biased variance, eps inside the root), then scaled
 * and shifted per channel. No running statistics: training and evaluation compute the same thing.
 * It is layer normalization of the rows [B·groups, C/groups·H·W] (the row kernels), then the affine.
 */
export function groupNorm<B extends number, C extends number, H extends number, W extends number>(p: GroupNorm<C>, x: Tensor<[B, C, H, W]>, groups: number, eps?: number): Tensor<[B, C, H, W]>;
export function groupNorm(p: GroupNorm<number>, x: Tensor, groups: number, eps = 1e-5): Tensor {
  const [b, c, h, w] = x.shape;
  if (x.shape.length !== 4) throw new Error(`groupNorm needs x [batch, channels, height, width], got [${x.shape}]`);
  if (!Number.isSafeInteger(groups) || groups < 1 || c % groups !== 0) throw new Error(`groupNorm: groups ${groups} do not divide the channels ${c}`);
  if (p.weight.shape[0] !== c || p.bias.shape[0] !== c) throw new Error(`groupNorm: x has ${c} channels but the weight and bias have ${p.weight.shape[0]} and ${p.bias.shape[0]}`);
  const normalized = reshape(layerNormalize(reshape(x, [b * groups, (c / groups) * h * w]), eps), [b, c, h, w]);
  return add(mul(normalized, reshape(p.weight, [c, 1, 1])), reshape(p.bias, [c, 1, 1]));
}
