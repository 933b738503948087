// Fixture for test/type-messages.test.ts (not a tsd test: it is meant to fail to compile). Each
// `// error:` comment gives text that tsc 7 must print for the next line; no other line may fail.
import { conv2d, convTranspose2d, maxPool2d, add, concat, linear, initLinear, matmul, mean, patchify, reshape, slice, sum, splitHeads, vit, zeros, type Linear, type Tensor } from 'shaped-vit';

const x = zeros([8, 17, 384]);
// error: shapes [8,17,384] and [383] are not broadcastable (384 vs 383)
add(x, zeros([383]));
// error: matmul inner dimensions differ: [2,3] x [4,5] (3 vs 4)
matmul(zeros([2, 3]), zeros([4, 5]));
// error: reshape from [2,3] (6 elements) to [4,2] (8 elements)
reshape(zeros([2, 3]), [4, 2]);
// error: axis 3 is out of range for rank 3
mean(x, 3);
// error: axis -1 is repeated in [2,-1]
sum(x, [2, -1]);
// error: concat along axis 1: [8,1,383] and [8,17,384] differ at axis 2 (383 vs 384)
concat(zeros([8, 1, 383]), x, 1);
// error: conv2d: x has 3 channels but w [16,4,3,3] with groups 1 expects 4
conv2d(zeros([8, 3, 32, 32]), zeros([16, 4, 3, 3]));
// error: conv2d: groups 4 do not divide the input channels 6
conv2d(zeros([2, 6, 11, 11]), zeros([8, 3, 3, 3]), { groups: 4 });
// error: conv2d: groups 3 do not divide the output channels 8
conv2d(zeros([2, 6, 11, 11]), zeros([8, 2, 3, 3]), { groups: 3 });
// error: maxPool2d needs x [batch, channels, height, width], got [3,32,32]
maxPool2d(zeros([3, 32, 32]), 2);
// error: conv2d: the window 5 (kernel 5, dilation 1) exceeds the padded height 4
conv2d(zeros([1, 3, 4, 4]), zeros([8, 3, 5, 5]));
// error: maxPool2d: the window 5 (kernel 5, dilation 1) exceeds the padded width 4
maxPool2d(zeros([1, 3, 8, 4]), 5);
// error: convTranspose2d: padding 2 leaves an empty output
convTranspose2d(zeros([1, 3, 1, 8]), zeros([3, 4, 3, 3]), { padding: 2 });
// error: convTranspose2d: outputPadding 2 must be a non-negative integer below the stride or the dilation
convTranspose2d(zeros([1, 3, 8, 8]), zeros([3, 4, 3, 3]), { stride: 2, outputPadding: 2 });
// error: embedDim 384 is not divisible by heads 7
splitHeads(x, 7);
// error: embedDim 64 is not divisible by heads 7
splitHeads(zeros([2, 5, 64]), 7);
// error: slice [2, 9) exceeds dim 5 on axis 1 of [2,5]
slice(zeros([2, 5]), 1, 2, 9);
// error: patch 5 does not divide height 32
patchify(zeros([2, 3, 32, 32]), 5);
// error: patch 4 does not divide width 30
patchify(zeros([2, 3, 32, 30]), 4);
// error: patchSize 5 does not divide imageSize 32
vit.config({ imageSize: 32, patchSize: 5, channels: 3, embedDim: 384, heads: 12, mlpDim: 384, layers: 7, classes: 10 });
// error: Argument of type 'Tensor<[8, 17, 383]>' is not assignable to parameter of type 'Tensor<[8, 17, 384]>'
linear(initLinear(384, 10, 0), zeros([8, 17, 383]));

// Generic code: tsc shows the check that failed, with the generic shapes in it.
export function bias<B extends number, E extends number, F extends number>(rows: Tensor<[B, E]>, b: Tensor<[F]>) {
  // error: parameter of type 'Tensor<[F]> & CheckBroadcast<[B, E], [F]>'
  return add(rows, b);
}
export function dense<B extends number, I extends number, O extends number>(x: Tensor<[B, I]>, w: Tensor<[O, I]>) {
  // error: parameter of type 'Tensor<[O, I]> & CheckMatmul<[B, I], [O, I], {}>'
  return matmul(x, w);
}
export function order<B extends number, T extends number, E extends number>(x: Tensor<[B, T, E]>, w: Tensor<[E, E]>): Tensor<[B, E, T]> {
  // error: Type 'Tensor<[B, T, E]>' is not assignable to type 'Tensor<[B, E, T]>'
  return matmul(x, w);
}
export function layer<B extends number, E extends number, F extends number>(x: Tensor<[B, E]>, l: Linear<F, E>) {
  // error: Type 'E' is not assignable to type 'F'
  return linear(l, x);
}
import { argmax, cumprod, prod } from 'shaped-vit';
// error: axis 3 is out of range for rank 3
prod(x, 3);
// error: axis -4 is out of range for rank 3
cumprod(x, -4);
// error: axis 3 is out of range for rank 3
argmax(x, 3);
import { gather, scatterAdd, takeAlongAxis } from 'shaped-vit';
// error: takeAlongAxis along axis 1: x [8,17,384] and indices [8,4,383] do not broadcast at axis 2 (384 vs 383)
takeAlongAxis(x, zeros([8, 4, 383]), 1);
// error: scatterAdd needs indices of x's rank: x [8,17,384] and indices [8,4]
scatterAdd(x, zeros([8, 4]), zeros([8, 4]), 1);
// error: axis 3 is out of range for rank 3
gather(x, zeros([2]), 3);
