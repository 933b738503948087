// The ResNet forward pass: stem (3×3 conv, GroupNorm, ReLU), three stages of basic blocks
// (x + GN(conv(ReLU(GN(conv(x))))), then ReLU; the first block of stages 2 and 3 halves the image
// with stride 2 and projects the shortcut with a 1×1 conv), global average pooling, a linear
// classifier. Every stage is typed with its real shape, generic over the config C and batch B.
import { add, mean, relu, type Tensor } from '../dsl/index.js';
import { conv1x1Down, conv3x3, conv3x3Down, groupNorm, linear, type Halved } from '../nn/index.js';
import type { ResnetConfig, ResnetConfigInput, ResnetDims } from './config.js';
import type { BasicBlock, DownBlock, DownStage, ResnetParams } from './params.js';

/** Normalized images [B, channels, imageSize, imageSize]. */
export type ResnetImages<C extends ResnetConfigInput, B extends number> = Tensor<[B, C['channels'], C['imageSize'], C['imageSize']]>;

/** A block that keeps the width and size: relu(x + GN(conv(relu(GN(conv(x)))))). */
function basicBlock<B extends number, C extends number, H extends number, W extends number>(p: BasicBlock<C, C>, x: Tensor<[B, C, H, W]>, groups: number): Tensor<[B, C, H, W]> {
  const h = relu(groupNorm(p.norm1, conv3x3(x, p.conv1), groups));
  return relu(add(x, groupNorm(p.norm2, conv3x3(h, p.conv2), groups)));
}

/** The first block of a stage that widens I → O and halves H × W; the shortcut is projected the same way. */
function downBlock<B extends number, I extends number, O extends number, H extends number, W extends number>(
  p: DownBlock<I, O>,
  x: Tensor<[B, I, H, W]>,
  groups: number,
): Tensor<[B, O, Halved<H>, Halved<W>]> {
  const h = relu(groupNorm(p.norm1, conv3x3Down(x, p.conv1), groups));
  const shortcut = groupNorm(p.shortcut.norm, conv1x1Down(x, p.shortcut.conv), groups);
  return relu(add(groupNorm(p.norm2, conv3x3(h, p.conv2), groups), shortcut));
}

function downStage<B extends number, I extends number, O extends number, H extends number, W extends number>(
  p: DownStage<I, O>,
  x: Tensor<[B, I, H, W]>,
  groups: number,
): Tensor<[B, O, Halved<H>, Halved<W>]> {
  return p.rest.reduce((y, block) => basicBlock(block, y, groups), downBlock(p.down, x, groups));
}

/** The feature maps before pooling: [B, 4·width, ⌈S/4⌉-ish, ...] (Halved twice). */
export function features<C extends ResnetConfigInput, B extends number>(
  cfg: ResnetConfig<C>,
  params: ResnetParams<C>,
  images: ResnetImages<C, B>,
): Tensor<[B, ResnetDims<C>['width3'], Halved<Halved<C['imageSize']>>, Halved<Halved<C['imageSize']>>]> {
  const g = cfg.normGroups;
  const stem = relu(groupNorm(params.stem.norm, conv3x3(images, params.stem.conv), g));
  const stage1 = params.layer1.reduce((y, block) => basicBlock(block, y, g), stem);
  return downStage(params.layer3, downStage(params.layer2, stage1, g), g);
}

/** Logits [B, classes] of normalized images [B, channels, imageSize, imageSize]. */
export function apply<C extends ResnetConfigInput, const B extends number>(cfg: ResnetConfig<C>, params: ResnetParams<C>, images: ResnetImages<C, B>): Tensor<[B, C['classes']]> {
  const [, ch, h, w] = images.shape;
  if (images.shape.length !== 4 || ch !== cfg.channels || h !== cfg.imageSize || w !== cfg.imageSize) {
    throw new Error(`resnet.apply: images must be [B, ${cfg.channels}, ${cfg.imageSize}, ${cfg.imageSize}], got [${images.shape.join(',')}]`);
  }
  return linear(params.fc, mean(features(cfg, params, images), [2, 3]));
}
