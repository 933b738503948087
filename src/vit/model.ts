// The ViT forward pass, as in the PyTorch recipe: patchify, seq_project (Linear + LayerNorm),
// class token, position embedding, pre-norm encoder blocks, final LayerNorm (eps 1e-6) on token 0,
// classifier.
import { add, broadcastTo, concat, permute, reshape, take, type Tensor } from '../dsl/index.js';
import { applyLayerNorm as layerNorm, linear, mlp, selfAttention } from '../nn/index.js';
import type { LayerNorm, Linear } from '../nn/index.js';
import type { VitConfig, VitConfigInput } from './config.js';
import type { VitParams } from './params.js';

export interface ApplyOptions {
  /** training mode enables dropout (if the config has any) */
  readonly train?: boolean;
  /** seed of this step's dropout masks */
  readonly seed?: number;
}

/** X.reshape(N,C,nh,P,nw,P).permute(0,2,4,3,5,1).reshape(N, nh*nw, P*P*C) */
export function patchify(images: Tensor, patch: number): Tensor {
  const [n, c, h, w] = images.shape;
  const nh = h / patch;
  const nw = w / patch;
  const six = reshape(images, [n, c, nh, patch, nw, patch]) as Tensor;
  return reshape(permute(six, [0, 2, 4, 3, 5, 1] as never) as Tensor, [n, nh * nw, patch * patch * c]) as Tensor;
}

/**
 * Logits [B, classes] of images [B, channels, imageSize, imageSize] (normalized). The body below
 * uses shape-generic tensors; the signature is where the shapes are checked.
 */
export function apply<C extends VitConfigInput, const B extends number>(
  cfg: VitConfig<C>,
  params: VitParams<C>,
  images: Tensor<[B, NoInfer<C['channels']>, NoInfer<C['imageSize']>, NoInfer<C['imageSize']>]>,
  options: ApplyOptions = {},
): Tensor<[B, C['classes']]> {
  const [b, ch, h, w] = images.shape as readonly number[];
  if (images.shape.length !== 4 || ch !== cfg.channels || h !== cfg.imageSize || w !== cfg.imageSize) {
    throw new Error(`vit.apply: images must be [B, ${cfg.channels}, ${cfg.imageSize}, ${cfg.imageSize}], got [${images.shape.join(',')}]`);
  }
  const p = params as unknown as VitParams;
  const e = cfg.embedDim;
  const drop = options.train && cfg.dropout ? cfg.dropout : 0;
  let seed = options.seed ?? 0;
  const L = (x: LayerNorm<number>) => x as LayerNorm<number>;
  const lin = (x: Linear<number, number>) => x as Linear<number, number>;

  let x = linear(lin(p.seqProject.linear), patchify(images as Tensor, cfg.patchSize) as Tensor<[number, number, number]>);
  x = layerNorm(L(p.seqProject.ln), x);
  const cls = broadcastTo(p.classToken as Tensor, [b, 1, e]);
  x = add(concat(cls, x as Tensor, 1) as Tensor, p.posEmbedding as Tensor) as Tensor<[number, number, number]>;
  for (const layer of p.encoder) {
    const a = selfAttention(layer.selfAtten, layerNorm(L(layer.sublayer1), x), cfg.heads, { dropout: drop, seed: seed++ });
    x = add(x as Tensor, a as Tensor) as Tensor<[number, number, number]>;
    const m = mlp(layer.mlp as never, layerNorm(L(layer.sublayer2), x) as never, { dropout: drop, seed: seed++ }) as Tensor;
    x = add(x as Tensor, m) as Tensor<[number, number, number]>;
  }
  // the final LayerNorm is per token, so normalizing token 0 alone is the same
  const token0 = take(x as Tensor, 1, 0 as never) as Tensor<[number, number]>;
  return linear(lin(p.classifier), layerNorm(L(p.ln), token0, 1e-6)) as unknown as Tensor<[B, C['classes']]>;
}
