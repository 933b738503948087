// Layers written generically over their dims, as a user writes them: they compile with no casts, and
// a real mismatch in them is still a compile error (`@ts-expect-error`, checked by tsd and tsc 7;
// the messages such calls print are checked by test/type-messages.test.ts on type-fixtures/).
import { expectType } from 'tsd';
import {
  add, addScalar, chunk, concat, div, mul, sqrt, sub, gelu, initLinear, initMultiheadAttention, linear, matmul, max, mean, mergeHeads, mulScalar, patchify, permute,
  reshape, selfAttention, seedStream, slice, softmax, splitHeads, sum, take, transpose, vit, zeros, broadcastTo, layerNorm,
  type HeadWidth, type Linear, type Mul, type Shape, type Tensor,
} from 'shaped-vit';

// 1. a dense layer
function dense<B extends number, I extends number, O extends number>(x: Tensor<[B, I]>, w: Tensor<[I, O]>, b: Tensor<[O]>): Tensor<[B, O]> {
  return add(matmul(x, w), b);
}
expectType<Tensor<[4, 10]>>(dense(zeros([4, 3]), zeros([3, 10]), zeros([10])));

// 2. a residual
function residual<S extends Shape>(x: Tensor<S>, f: (x: Tensor<S>) => Tensor<S>): Tensor<S> {
  return add(x, f(x));
}
expectType<Tensor<[2, 5]>>(residual(zeros([2, 5]), gelu));

// 3. scaled dot-product attention over heads
function attention<B extends number, H extends number, T extends number, D extends number>(
  q: Tensor<[B, H, T, D]>, k: Tensor<[B, H, T, D]>, v: Tensor<[B, H, T, D]>,
): Tensor<[B, H, T, D]> {
  const scores: Tensor<[B, H, T, T]> = mulScalar(matmul(q, k, { transposeB: true }), 1 / Math.sqrt(q.shape[3]));
  return matmul(softmax(scores, -1), v);
}
expectType<Tensor<[2, 4, 9, 8]>>(attention(zeros([2, 4, 9, 8]), zeros([2, 4, 9, 8]), zeros([2, 4, 9, 8])));

// the transposed operands, generically
function gram<B extends number, T extends number, E extends number>(x: Tensor<[B, T, E]>, w: Tensor<[T, E]>) {
  expectType<Tensor<[B, E, E]>>(matmul(x, x, { transposeA: true }));
  expectType<Tensor<[B, E, E]>>(matmul(x, w, { transposeA: true }));
  expectType<Tensor<[B, T, T]>>(matmul(x, x, { transposeB: true }));
  // @ts-expect-error [B, T, E]ᵀ x [B, E, T]: inner T vs E
  matmul(x, transpose(x), { transposeA: true });
}

// 4. a feed-forward block over rows of any rank
function feedForward<R extends Shape, M extends number, E extends number, F extends number>(
  x: Tensor<[...R, M, E]>, up: Linear<E, F>, down: Linear<F, E>,
): Tensor<[...R, M, E]> {
  return linear(down, gelu(linear(up, x)));
}
expectType<Tensor<[2, 17, 64]>>(feedForward(zeros([2, 17, 64]), initLinear(64, 256, 0), initLinear(256, 64, 1)));

// 5. multi-head attention via splitHeads / mergeHeads: the head width is HeadWidth<E, H> and comes back as E
function multiHead<B extends number, T extends number, E extends number, H extends number>(x: Tensor<[B, T, E]>, heads: H): Tensor<[B, T, E]> {
  const q: Tensor<[B, H, T, HeadWidth<E, H>]> = splitHeads(x, heads);
  return mergeHeads(attention(q, q, q));
}
expectType<Tensor<[2, 17, 64]>>(multiHead(zeros([2, 17, 64]), 4));
function roundTrip<B extends number, T extends number, E extends number, H extends number>(x: Tensor<[B, T, E]>, heads: H): Tensor<[B, T, E]> {
  return mergeHeads(splitHeads(x, heads));
}
expectType<Tensor<[2, 17, 64]>>(roundTrip(zeros([2, 17, 64]), 4));

// 6. a mean over tokens
function pool<B extends number, T extends number, E extends number>(x: Tensor<[B, T, E]>): Tensor<[B, E]> {
  return mean(x, 1);
}
expectType<Tensor<[2, 64]>>(pool(zeros([2, 17, 64])));

// 7. a full sum
function total<S extends Shape>(x: Tensor<S>): Tensor<[]> {
  return sum(x);
}
expectType<Tensor<[]>>(total(zeros([2, 3])));

// --- more generic code that compiles ---------------------------------------------------------------
function statistics<B extends number, T extends number, E extends number>(x: Tensor<[B, T, E]>) {
  expectType<Tensor<[B, T, 1]>>(mean(x, -1, true));
  expectType<Tensor<[B]>>(sum(x, [1, 2]));
  expectType<Tensor<[B, 1, 1]>>(max(x, [-1, -2], true));
  expectType<Tensor<[T, E, B]>>(permute(x, [1, 2, 0]));
  expectType<Tensor<[B, E, T]>>(transpose(x));
  expectType<Tensor<[B, E]>>(take(x, 1, 0));
  expectType<Tensor<[B, T, E]>>(softmax(x, 1));
  return x;
}
// a hand-written layer norm over rows of any rank: [..., E] minus its [..., 1] mean, over its std, times a [E] scale
function norm<R extends Shape, E extends number>(x: Tensor<[...R, E]>, scale: Tensor<[E]>, shift: Tensor<[E]>): Tensor<[...R, E]> {
  const centered = sub(x, mean(x, -1, true));
  const std = sqrt(addScalar(mean(mul(centered, centered), -1, true), 1e-5));
  return add(mul(div(centered, std), scale), shift);
}
expectType<Tensor<[2, 5, 8]>>(norm(zeros([2, 5, 8]), zeros([8]), zeros([8])));
function libraryNorm<R extends Shape, E extends number>(x: Tensor<[...R, E]>, scale: Tensor<[E]>, shift: Tensor<[E]>): Tensor<[...R, E]> {
  return layerNorm(x, scale, shift);
}
function classToken<B extends number, T extends number, E extends number>(x: Tensor<[B, T, E]>, token: Tensor<[1, 1, E]>, pos: Tensor<[1, Mul<T, 1>, E]>) {
  const [b, , e] = x.shape;
  const withToken = concat(broadcastTo(token, [b, 1, e]), x, 1);
  return add(withToken, zeros([1, 1, e]));
}
function qkv<B extends number, T extends number, E extends number>(x: Tensor<[B, T, E]>, w: Tensor<[Mul<3, E>, E]>) {
  const [q, k, v] = chunk(matmul(x, w, { transposeB: true }), 3, x.shape[2]);
  expectType<Tensor<[B, T, E]>>(q);
  return [k, v];
}
function images<B extends number, C extends number, H extends number, W extends number, P extends number>(x: Tensor<[B, C, H, W]>, p: P) {
  return patchify(x, p);
}
expectType<Tensor<[2, 16, 192]>>(images(zeros([2, 3, 32, 32]), 8));
expectType<Tensor<[2, 16, 192]>>(patchify(zeros([2, 3, 32, 32]), 8));
// splitHeads / patchify check divisibility at the call once every dim involved is a literal; while
// one is a type parameter the call compiles (and the runtime checks it)
function headsOf64<B extends number, T extends number, H extends number>(x: Tensor<[B, T, 64]>, heads: H) {
  return splitHeads(x, heads);
}
expectType<Tensor<[2, 8, 5, 8]>>(headsOf64(zeros([2, 5, 64]), 8));
function sevenHeads<B extends number, T extends number, E extends number>(x: Tensor<[B, T, E]>) {
  return splitHeads(x, 7);
}
expectType<Tensor<[2, 7, 5, 2]>>(sevenHeads(zeros([2, 5, 14])));
function patchOf32<B extends number, C extends number, P extends number>(x: Tensor<[B, C, 32, 32]>, p: P) {
  return patchify(x, p);
}
expectType<Tensor<[2, 16, 192]>>(patchOf32(zeros([2, 3, 32, 32]), 8));
// @ts-expect-error embedDim 64 is not divisible by heads 7
splitHeads(zeros([2, 5, 64]), 7);
// @ts-expect-error patch 5 does not divide height 32
patchify(zeros([2, 3, 32, 32]), 5);
// @ts-expect-error patch 4 does not divide width 30
patchify(zeros([2, 3, 32, 30]), 4);
// a slice of a generic dim: its length is checked against the dim once that is a literal
function window<B extends number, T extends number>(x: Tensor<[B, T]>) {
  return slice(x, 1, 2, 5);
}
expectType<Tensor<[4, 3]>>(window(zeros([4, 9])));
expectType<Tensor<[2, 3]>>(slice(zeros([2, 5]), 1, 2, 5));
// literal bounds outside a literal dim fail at the call
// @ts-expect-error slice [2, 9) exceeds dim 5 on axis 1 of [2,5]
slice(zeros([2, 5]), 1, 2, 9);
// @ts-expect-error slice start 4 is greater than end 2
slice(zeros([2, 5]), 1, 4, 2);
function windowTo<B extends number, E extends number>(x: Tensor<[B, 5]>, end: E) {
  return slice(x, 1, 0, end);
}
expectType<Tensor<[2, 3]>>(windowTo(zeros([2, 5]), 3));
// the library's own layer, generic too
function block<B extends number, T extends number, E extends number>(x: Tensor<[B, T, E]>, dim: E) {
  return selfAttention(initMultiheadAttention(dim, seedStream(0)), x, 4);
}
expectType<Tensor<[2, 17, 64]>>(block(zeros([2, 17, 64]), 64));

// --- generic mismatches are errors ---------------------------------------------------------------------
function badAdd<B extends number, E extends number, F extends number>(x: Tensor<[B, E]>, y: Tensor<[B, F]>) {
  // @ts-expect-error [B, E] + [B, F]
  return add(x, y);
}
function badBias<B extends number, E extends number, F extends number>(x: Tensor<[B, E]>, b: Tensor<[F]>) {
  // @ts-expect-error a bias of width F on rows of width E
  return add(x, b);
}
function badDense<B extends number, I extends number, O extends number>(x: Tensor<[B, I]>, w: Tensor<[O, I]>) {
  // @ts-expect-error [B, I] x [O, I] (I vs O)
  return matmul(x, w);
}
function badOrder<B extends number, T extends number, E extends number>(x: Tensor<[B, T, E]>, w: Tensor<[E, E]>): Tensor<[B, E, T]> {
  // @ts-expect-error a [B, T, E] product returned as [B, E, T]
  return matmul(x, w);
}
function badHeads<B extends number, H extends number, G extends number, T extends number, D extends number>(q: Tensor<[B, H, T, D]>, k: Tensor<[B, G, T, D]>) {
  // @ts-expect-error q over H heads, k over G heads
  return matmul(q, k, { transposeB: true });
}
function badPool<B extends number, T extends number, E extends number>(x: Tensor<[B, T, E]>): Tensor<[B, T]> {
  // @ts-expect-error the mean over tokens is [B, E], not [B, T]
  return mean(x, 1);
}
function badAxis<B extends number, T extends number, E extends number>(x: Tensor<[B, T, E]>) {
  // @ts-expect-error axis 3 of a rank-3 tensor
  return sum(x, 3);
}
function badMerge<B extends number, T extends number, E extends number, H extends number>(x: Tensor<[B, T, E]>, heads: H): Tensor<[B, E, T]> {
  // @ts-expect-error the merged heads are [B, T, E]
  return mergeHeads(splitHeads(x, heads));
}
function badConcat<B extends number, T extends number, E extends number, F extends number>(x: Tensor<[B, T, E]>, y: Tensor<[B, T, F]>) {
  // @ts-expect-error concat along tokens needs equal widths
  return concat(x, y, 1);
}
function badLinear<B extends number, E extends number, F extends number>(x: Tensor<[B, E]>, l: Linear<F, E>) {
  // @ts-expect-error a Linear from F applied to rows of width E
  return linear(l, x);
}
function badReshape<B extends number, E extends number>(x: Tensor<[B, E]>) {
  // @ts-expect-error reshape of generic dims cannot be proven (checked when the dims are literals)
  return reshape(x, [E_, 2]);
}
declare const E_: number;

// --- the ViT's stages carry real shapes --------------------------------------------------------------------
const cfg = vit.config({ imageSize: 32, patchSize: 8, channels: 3, embedDim: 64, heads: 4, mlpDim: 128, layers: 2, classes: 10 });
const params = vit.init(cfg, { seed: 0 });
expectType<Tensor<[1, 17, 64]>>(params.posEmbedding);
expectType<Tensor<[192, 64]>>(transpose(params.seqProject.linear.weight));
expectType<Tensor<[3, 10]>>(vit.apply(cfg, params, zeros([3, 3, 32, 32])));
expectType<Tensor<[3, 17, 64]>>(add(concat(broadcastTo(params.classToken, [3, 1, 64]), zeros([3, 16, 64]), 1), params.posEmbedding));

// the README's examples
function readmeDense<B extends number, I extends number, O extends number>(x: Tensor<[B, I]>, w: Tensor<[O, I]>, b: Tensor<[O]>): Tensor<[B, O]> {
  return add(matmul(x, w, { transposeB: true }), b);
}
function readmeAttention<B extends number, T extends number, E extends number, H extends number>(x: Tensor<[B, T, E]>, heads: H): Tensor<[B, T, E]> {
  const q = splitHeads(x, heads);
  const weights = softmax(mulScalar(matmul(q, q, { transposeB: true }), 0.125));
  return mergeHeads(matmul(weights, q));
}
expectType<Tensor<[2, 5]>>(readmeDense(zeros([2, 3]), zeros([5, 3]), zeros([5])));
expectType<Tensor<[2, 9, 16]>>(readmeAttention(zeros([2, 9, 16]), 4));
