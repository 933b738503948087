// The ViT forward pass, as in the PyTorch recipe: patchify, seq_project (Linear + LayerNorm),
// class token, position embedding, pre-norm encoder blocks, final LayerNorm (eps 1e-6) on token 0
// (or on every token, then their mean: pool 'mean'), classifier. Every stage is typed with its real shape, generic over the config C and batch B, and
// the stages compose with fp-ts.
import { add, broadcastTo, checkpoint, concat, mean, offsetSeed, patchify, take, type Seed, type Tensor } from '../dsl/index.js';
import type { VitDims } from './shape.js';
import { flow, identity, pipe } from 'fp-ts/lib/function.js';
import { applyLayerNorm, linear, mlp, selfAttentionWithWeights } from '../nn/index.js';
import type { VitConfig, VitConfigInput } from './config.js';
import type { EncoderLayer, VitParams } from './params.js';

export interface ApplyOptions {
  /** training mode enables dropout (when the config sets a rate) */
  readonly train?: boolean;
  /** seed of this step's dropout masks */
  readonly seed?: Seed;
  /** recompute each encoder block in the backward pass instead of keeping its intermediates (`checkpoint`): less memory, one more forward */
  readonly checkpoint?: boolean;
}

/** Normalized images [B, channels, imageSize, imageSize]. */
export type Images<C extends VitConfigInput, B extends number> = Tensor<[B, C['channels'], C['imageSize'], C['imageSize']]>;
/** The sequence through the encoder: [B, tokens, embedDim]. */
export type Sequence<C extends VitConfigInput, B extends number> = Tensor<[B, VitDims<C>['tokens'], C['embedDim']]>;

/** seq_project: patches [B, (I/P)², P·P·C], Linear(P·P·C → E), then LayerNorm(E). */
const embedPatches =
  <C extends VitConfigInput, B extends number>(p: VitParams<C>, patch: C['patchSize']) =>
  (images: Images<C, B>): Tensor<[B, VitDims<C>['numPatches'], C['embedDim']]> =>
    applyLayerNorm(p.seqProject.ln, linear(p.seqProject.linear, patchify(images, patch)));

/** Prepends the class token ([B, 1 + (I/P)², E]) and adds the position embedding. */
const addClassAndPosition =
  <C extends VitConfigInput, B extends number>(p: VitParams<C>) =>
  (x: Tensor<[B, VitDims<C>['numPatches'], C['embedDim']]>): Sequence<C, B> => {
    const [b, , e] = x.shape;
    return add(concat(broadcastTo(p.classToken, [b, 1, e]), x, 1), p.posEmbedding);
  };

/** A pre-norm block: x + MHA(LN1(x)), then x + MLP(LN2(x)); also gives MHA's attention weights. */
const encoderBlockWithAttention =
  <B extends number, T extends number, E extends number, D extends number, H extends number>(layer: EncoderLayer<E, D>, heads: H, dropout: number, seed: Seed) =>
  (x: Tensor<[B, T, E]>): [Tensor<[B, T, E]>, Tensor<[B, H, T, T]>] => {
    const attention = selfAttentionWithWeights(layer.selfAtten, applyLayerNorm(layer.sublayer1, x), heads, { dropout, seed });
    const attended = add(x, attention.out);
    return [add(attended, mlp(layer.mlp, applyLayerNorm(layer.sublayer2, attended), { dropout, seed: offsetSeed(seed, 1) })), attention.weights];
  };

const encoderBlock =
  <B extends number, T extends number, E extends number, D extends number, H extends number>(layer: EncoderLayer<E, D>, heads: H, dropout: number, seed: Seed) =>
  (x: Tensor<[B, T, E]>): Tensor<[B, T, E]> =>
    encoderBlockWithAttention<B, T, E, D, H>(layer, heads, dropout, seed)(x)[0];

/**
 * Final LayerNorm (eps 1e-6) and classifier on token 0 (the norm is per token, so norming token 0
 * alone is the same), or on the mean of all normed tokens (pool 'mean').
 */
const classify =
  <C extends VitConfigInput, B extends number>(p: VitParams<C>, pool: VitConfigInput['pool']) =>
  (x: Sequence<C, B>): Tensor<[B, C['classes']]> =>
    linear(p.classifier, pool === 'mean' ? mean(applyLayerNorm(p.ln, x, 1e-6), 1) : applyLayerNorm(p.ln, take(x, 1, 0), 1e-6));

/** Logits [B, classes] of images [B, channels, imageSize, imageSize] (normalized): the stages above composed with fp-ts. */
export function apply<C extends VitConfigInput, const B extends number>(
  cfg: VitConfig<C>,
  params: VitParams<C>,
  images: Images<C, B>,
  options: ApplyOptions = {},
): Tensor<[B, C['classes']]> {
  const c: C = cfg;
  checkImages(c, images, 'vit.apply');
  const dropout = options.train && c.dropout ? c.dropout : 0;
  const seed = options.seed ?? 0;
  const encoder = params.encoder.reduce<(x: Sequence<C, B>) => Sequence<C, B>>(
    (f, layer, i) => {
      const block = (l: typeof layer, x: Sequence<C, B>) => encoderBlock<B, VitDims<C>['tokens'], C['embedDim'], C['mlpDim'], C['heads']>(l, c.heads, dropout, offsetSeed(seed, 2 * i))(x);
      const run = options.checkpoint ? checkpoint(block) : block;
      return flow(f, (x: Sequence<C, B>) => run(layer, x));
    },
    identity,
  );
  return pipe(images, embedPatches(params, c.patchSize), addClassAndPosition(params), encoder, classify(params, c.pool));
}

function checkImages(c: VitConfigInput, images: Tensor, caller: string): void {
  const [, ch, h, w] = images.shape;
  if (images.shape.length !== 4 || ch !== c.channels || h !== c.imageSize || w !== c.imageSize) {
    throw new Error(`${caller}: images must be [B, ${c.channels}, ${c.imageSize}, ${c.imageSize}], got [${images.shape.join(',')}]`);
  }
}

/**
 * Inference logits (no dropout) and every encoder layer's attention weights [B, heads, T, T] (T =
 * patches + class token), first layer first: what attention maps (e.g. rollout) are made from.
 */
export function applyWithAttention<C extends VitConfigInput, const B extends number>(
  cfg: VitConfig<C>,
  params: VitParams<C>,
  images: Images<C, B>,
): { logits: Tensor<[B, C['classes']]>; attention: Tensor<[B, C['heads'], VitDims<C>['tokens'], VitDims<C>['tokens']]>[] } {
  const c: C = cfg;
  checkImages(c, images, 'vit.applyWithAttention');
  const attention: Tensor<[B, C['heads'], VitDims<C>['tokens'], VitDims<C>['tokens']]>[] = [];
  let x: Sequence<C, B> = pipe(images, embedPatches<C, B>(params, c.patchSize), addClassAndPosition<C, B>(params));
  for (const layer of params.encoder) {
    const [next, weights] = encoderBlockWithAttention<B, VitDims<C>['tokens'], C['embedDim'], C['mlpDim'], C['heads']>(layer, c.heads, 0, 0)(x);
    attention.push(weights);
    x = next;
  }
  return { logits: classify<C, B>(params, c.pool)(x), attention };
}
