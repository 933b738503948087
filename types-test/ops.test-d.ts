// Type tests of the public API: valid programs get exact shapes; invalid ones do not compile, each
// with a message naming the problem (rejections are `// @ts-expect-error`, honoured by tsd and tsc 7).
import { expectType } from 'tsd';
import {
  add, concat, initLinear, linear, matmul, mean, mergeHeads, permute, reshape, softmax, splitHeads, take, tensor, transpose,
  valueAndGrad, vit, zeros, sum, type Tensor,
} from 'shaped-vit';

const a = tensor([[1, 2, 3], [4, 5, 6]], [2, 3]);
expectType<Tensor<[2, 3]>>(a);
expectType<Tensor<[2, 4]>>(matmul(a, zeros([3, 4])));
// @ts-expect-error matmul inner dimensions differ: [2,3] x [4,5] (3 vs 4)
matmul(a, zeros([4, 5]));
expectType<Tensor<[2, 5]>>(matmul(a, zeros([5, 3]), { transposeB: true }));
expectType<Tensor<[8, 17, 10]>>(matmul(zeros([8, 17, 384]), zeros([384, 10])));

const x = zeros([8, 17, 384]);
expectType<Tensor<[8, 17, 384]>>(add(x, zeros([384])));
expectType<Tensor<[8, 17, 384]>>(add(x, zeros([1, 17, 384])));
// @ts-expect-error shapes [8,17,384] and [383] are not broadcastable (384 vs 383)
add(x, zeros([383]));

expectType<Tensor<[3, 2]>>(reshape(a, [3, 2]));
// @ts-expect-error reshape from [2,3] (6 elements) to [4,2] (8 elements)
reshape(a, [4, 2]);
expectType<Tensor<[384, 8, 17]>>(permute(x, [2, 0, 1]));
// @ts-expect-error permute axes [2,0,0] are not a permutation of 0..2
permute(x, [2, 0, 0]);
expectType<Tensor<[8, 384, 17]>>(transpose(x));
expectType<Tensor<[8, 18, 384]>>(concat(zeros([8, 1, 384]), x, 1));
// @ts-expect-error concat dims other than the axis must agree
concat(zeros([8, 1, 383]), x, 1);
expectType<Tensor<[8, 384]>>(take(x, 1, 0));
expectType<Tensor<[8, 17]>>(mean(x, -1));
expectType<Tensor<[8, 17, 1]>>(mean(x, 2, true));
// @ts-expect-error axis 3 is out of range for a rank-3 tensor
mean(x, 3);
expectType<Tensor<[8, 17, 384]>>(softmax(x, -1));

// attention heads: [B, T, E] -> [B, H, T, E/H]
expectType<Tensor<[8, 12, 17, 32]>>(splitHeads(x, 12));
expectType<Tensor<[8, 17, 384]>>(mergeHeads(splitHeads(x, 12)));
// A head count that does not divide the width fails at the call, with the sentence.
// @ts-expect-error embedDim 384 is not divisible by heads 7
splitHeads(x, 7);
// @ts-expect-error embedDim 64 is not divisible by heads 7
splitHeads(zeros([2, 5, 64]), 7);
// @ts-expect-error heads 0 is not a positive integer
splitHeads(x, 0);
// @ts-expect-error splitHeads needs [batch, tokens, embedDim]
splitHeads(zeros([17, 384]), 12);

// a Linear checks its input width
const fc = initLinear(384, 10, 0);
expectType<Tensor<[8, 17, 10]>>(linear(fc, x));
// @ts-expect-error 383 is not the layer's input width 384
linear(fc, zeros([8, 17, 383]));

// generic code over dims type-checks (the inner dim is unified, not re-inferred)
function project<M extends number, K extends number, N extends number>(u: Tensor<[M, K]>, w: Tensor<[K, N]>): Tensor<[M, N]> {
  return matmul(u, w);
}
expectType<Tensor<[2, 7]>>(project(a, zeros([3, 7])));

// the ViT: config checked at compile time, derived sizes are literal types
const seed = vit.config(vit.seedConfig);
expectType<17>(seed.tokens);
expectType<192>(seed.patchDim);
expectType<32>(seed.headDim);
const b16 = vit.config({ imageSize: 224, patchSize: 16, channels: 3, embedDim: 768, heads: 12, mlpDim: 3072, layers: 12, classes: 1000 });
expectType<197>(b16.tokens);
expectType<64>(b16.headDim);
// @ts-expect-error patchSize 5 does not divide imageSize 32
vit.config({ imageSize: 32, patchSize: 5, channels: 3, embedDim: 384, heads: 12, mlpDim: 384, layers: 7, classes: 10 });
// @ts-expect-error embedDim 384 is not divisible by heads 7
vit.config({ imageSize: 32, patchSize: 8, channels: 3, embedDim: 384, heads: 7, mlpDim: 384, layers: 7, classes: 10 });
// the classifier reads the class token or the mean of all tokens: the shapes are the same
const meanPooled = vit.config({ ...vit.seedConfig, pool: 'mean' });
expectType<17>(meanPooled.tokens);
expectType<Tensor<[4, 10]>>(vit.apply(meanPooled, vit.init(meanPooled, { seed: 0 }), zeros([4, 3, 32, 32])));
// @ts-expect-error pool is 'token' or 'mean'
vit.config({ ...vit.seedConfig, pool: 'avg' });

const params = vit.init(seed, { seed: 0 });
expectType<Tensor<[1, 17, 384]>>(params.posEmbedding);
expectType<Tensor<[4, 10]>>(vit.apply(seed, params, zeros([4, 3, 32, 32])));
// @ts-expect-error images must be [B, 3, 32, 32] for this config
vit.apply(seed, params, zeros([4, 3, 28, 28]));

// gradients have the structure of the parameters
const [loss, grads] = valueAndGrad((p: typeof params) => sum(vit.apply(seed, p, zeros([2, 3, 32, 32]))))(params);
expectType<Tensor<[]>>(loss);
expectType<Tensor<[1, 17, 384]>>(grads.posEmbedding);
