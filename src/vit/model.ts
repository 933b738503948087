// The ViT forward pass, as in the PyTorch recipe: patchify, seq_project (Linear + LayerNorm),
// class token, position embedding, pre-norm encoder blocks, final LayerNorm (eps 1e-6) on token 0,
// classifier.
import { add, broadcastTo, concat, permute, reshape, take, type Tensor } from '../dsl/index.js';
import { flow, identity, pipe } from 'fp-ts/lib/function.js';
import { applyLayerNorm, linear, mlp, selfAttentionWithWeights } from '../nn/index.js';
import type { LayerNorm, Linear } from '../nn/index.js';
import type { VitConfig, VitConfigInput } from './config.js';
import type { EncoderLayer, VitParams } from './params.js';

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

type Tokens = Tensor<[number, number, number]>;

/** seq_project: Linear(P·P·C → E), then LayerNorm(E). */
const embedPatches = (p: VitParams, patch: number) => (images: Tensor): Tokens =>
  applyLayerNorm(p.seqProject.ln as LayerNorm<number>, linear(p.seqProject.linear as Linear<number, number>, patchify(images, patch) as Tokens));

/** Prepends the class token and adds the position embedding. */
const addClassAndPosition = (p: VitParams) => (x: Tokens): Tokens => {
  const [b, , e] = x.shape;
  return add(concat(broadcastTo(p.classToken as Tensor, [b, 1, e]), x as Tensor, 1) as Tensor, p.posEmbedding as Tensor) as Tokens;
};

/** A pre-norm block: x + MHA(LN1(x)), then x + MLP(LN2(x)); also gives MHA's attention weights. */
const encoderBlockWithAttention = (layer: EncoderLayer<number, number>, heads: number, dropout: number, seed: number) => (x: Tokens): [Tokens, Tensor] => {
  const attention = selfAttentionWithWeights(layer.selfAtten, applyLayerNorm(layer.sublayer1, x), heads, { dropout, seed });
  const attended = add(x as Tensor, attention.out as Tensor) as Tokens;
  return [add(attended as Tensor, mlp(layer.mlp, applyLayerNorm(layer.sublayer2, attended), { dropout, seed: seed + 1 }) as Tensor) as Tokens, attention.weights];
};

const encoderBlock = (layer: EncoderLayer<number, number>, heads: number, dropout: number, seed: number) => (x: Tokens): Tokens =>
  encoderBlockWithAttention(layer, heads, dropout, seed)(x)[0];

/** Final LayerNorm (eps 1e-6) and classifier on token 0 (the norm is per token, so norming token 0 alone is the same). */
const classify = (p: VitParams) => (x: Tokens): Tensor<[number, number]> =>
  linear(p.classifier as Linear<number, number>, applyLayerNorm(p.ln as LayerNorm<number>, take(x as Tensor, 1, 0 as never) as Tensor<[number, number]>, 1e-6));

/**
 * Logits [B, classes] of images [B, channels, imageSize, imageSize] (normalized): the stages above
 * composed with fp-ts. The signature is where shapes are checked; the stages use shape-generic tensors.
 */
export function apply<C extends VitConfigInput, const B extends number>(
  cfg: VitConfig<C>,
  params: VitParams<C>,
  images: Tensor<[B, NoInfer<C['channels']>, NoInfer<C['imageSize']>, NoInfer<C['imageSize']>]>,
  options: ApplyOptions = {},
): Tensor<[B, C['classes']]> {
  checkImages(cfg, images, 'vit.apply');
  const p = params as unknown as VitParams;
  const dropout = options.train && cfg.dropout ? cfg.dropout : 0;
  const seed = options.seed ?? 0;
  const encoder = p.encoder.reduce<(x: Tokens) => Tokens>((f, layer, i) => flow(f, encoderBlock(layer, cfg.heads, dropout, seed + 2 * i)), identity);
  return pipe(images as Tensor, embedPatches(p, cfg.patchSize), addClassAndPosition(p), encoder, classify(p)) as unknown as Tensor<[B, C['classes']]>;
}

function checkImages(cfg: VitConfig, images: Tensor, caller: string): void {
  const [, ch, h, w] = images.shape as readonly number[];
  if (images.shape.length !== 4 || ch !== cfg.channels || h !== cfg.imageSize || w !== cfg.imageSize) {
    throw new Error(`${caller}: images must be [B, ${cfg.channels}, ${cfg.imageSize}, ${cfg.imageSize}], got [${images.shape.join(',')}]`);
  }
}

/**
 * Inference logits (no dropout) and every encoder layer's attention weights [B, heads, T, T] (T =
 * patches + class token), first layer first: what attention maps (e.g. rollout) are made from.
 */
export function applyWithAttention<C extends VitConfigInput, const B extends number>(
  cfg: VitConfig<C>,
  params: VitParams<C>,
  images: Tensor<[B, NoInfer<C['channels']>, NoInfer<C['imageSize']>, NoInfer<C['imageSize']>]>,
): { logits: Tensor<[B, C['classes']]>; attention: Tensor<[B, number, number, number]>[] } {
  checkImages(cfg, images, 'vit.applyWithAttention');
  const p = params as unknown as VitParams;
  const attention: Tensor<[B, number, number, number]>[] = [];
  let x = pipe(images as Tensor, embedPatches(p, cfg.patchSize), addClassAndPosition(p));
  for (const layer of p.encoder) {
    const [next, weights] = encoderBlockWithAttention(layer, cfg.heads, 0, 0)(x);
    attention.push(weights as Tensor<[B, number, number, number]>);
    x = next;
  }
  return { logits: classify(p)(x) as unknown as Tensor<[B, C['classes']]>, attention };
}
