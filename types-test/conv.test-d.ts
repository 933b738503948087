// conv2d / pooling shapes in the types: output sizes from literal sizes, mismatches rejected with a
// sentence naming the numbers (the sentences: type-fixtures/mismatches.ts), generic code where the
// facts are structural.
import { expectType } from 'tsd';
import { adaptiveAvgPool2d, avgPool2d, conv2d, convTranspose2d, maxPool2d, relu, zeros, type Tensor, type WindowCount } from 'shaped-vit';

const img = zeros([8, 3, 32, 32]);
// (32 + 2·1 − 1·(3 − 1) − 1) / 1 + 1 = 32
expectType<Tensor<[8, 16, 32, 32]>>(conv2d(img, zeros([16, 3, 3, 3]), { padding: 1 }));
// ⌊(32 + 2 − 3) / 2⌋ + 1 = 16
expectType<Tensor<[8, 16, 16, 16]>>(conv2d(img, zeros([16, 3, 3, 3]), { stride: 2, padding: 1 }));
// dilation 2: span 5, (32 − 5) + 1 = 28
expectType<Tensor<[8, 4, 28, 28]>>(conv2d(img, zeros([4, 3, 3, 3]), { dilation: 2 }));
// groups: w holds C / groups input channels
expectType<Tensor<[2, 8, 9, 9]>>(conv2d(zeros([2, 6, 11, 11]), zeros([8, 3, 3, 3]), { groups: 2 }));
// ImageNet stem: 224 → 112 (7×7, stride 2, padding 3); 150,528 = 3·224·224 values per image
expectType<Tensor<[1, 64, 112, 112]>>(conv2d(zeros([1, 3, 224, 224]), zeros([64, 3, 7, 7]), { stride: 2, padding: 3 }));

// @ts-expect-error conv2d: x has 3 channels but w [16,4,3,3] with groups 1 expects 4
conv2d(img, zeros([16, 4, 3, 3]));
// @ts-expect-error conv2d: groups 4 do not divide the input channels 6
conv2d(zeros([2, 6, 11, 11]), zeros([8, 3, 3, 3]), { groups: 4 });
// @ts-expect-error conv2d: groups 3 do not divide the output channels 8
conv2d(zeros([2, 6, 11, 11]), zeros([8, 2, 3, 3]), { groups: 3 });
// @ts-expect-error conv2d needs x [batch, channels, height, width], got [3,32,32]
conv2d(zeros([3, 32, 32]), zeros([16, 3, 3, 3]));

expectType<Tensor<[8, 3, 16, 16]>>(maxPool2d(img, 2));
expectType<Tensor<[8, 3, 16, 16]>>(avgPool2d(img, 3, { stride: 2, padding: 1 }));
expectType<Tensor<[8, 3, 30, 30]>>(maxPool2d(img, 3, { stride: 1 }));
// @ts-expect-error maxPool2d needs x [batch, channels, height, width], got [3,32,32]
maxPool2d(zeros([3, 32, 32]), 2);
// a window larger than the padded input fails at the call
// @ts-expect-error conv2d: the window 5 (kernel 5, dilation 1) exceeds the padded height 4
conv2d(zeros([1, 3, 4, 4]), zeros([8, 3, 5, 5]));
// @ts-expect-error conv2d: the window 7 (kernel 3, dilation 3) exceeds the padded height 4
conv2d(zeros([1, 3, 4, 8]), zeros([8, 3, 3, 3]), { dilation: 3 });
// @ts-expect-error maxPool2d: the window 5 (kernel 5, dilation 1) exceeds the padded height 4
maxPool2d(zeros([1, 3, 4, 4]), 5);
// @ts-expect-error avgPool2d: the window 5 (kernel 5, dilation 1) exceeds the padded width 4
avgPool2d(zeros([1, 3, 8, 4]), 5);
expectType<Tensor<[8, 3, 1, 1]>>(adaptiveAvgPool2d(img, [1, 1]));
// (16 − 1)·2 − 2 + 3 + 1 + 1 = 33 − 1 = 32
expectType<Tensor<[8, 4, 32, 32]>>(convTranspose2d(zeros([8, 3, 16, 16]), zeros([3, 4, 3, 3]), { stride: 2, padding: 1, outputPadding: 1 }));
// @ts-expect-error x has 3 channels, w expects 5
convTranspose2d(zeros([8, 3, 16, 16]), zeros([5, 4, 3, 3]));
// padding that leaves an empty output, or an output padding not below the stride, fails at the call
// (1 − 1)·1 + 3 = 3 ≤ 2·2
// @ts-expect-error convTranspose2d: padding 2 leaves an empty output
convTranspose2d(zeros([1, 3, 1, 8]), zeros([3, 4, 3, 3]), { padding: 2 });
// @ts-expect-error convTranspose2d: outputPadding 2 must be a non-negative integer below the stride or the dilation
convTranspose2d(zeros([1, 3, 8, 8]), zeros([3, 4, 3, 3]), { stride: 2, outputPadding: 2 });
// (1 − 1)·1 + 3 − 2 = 1: the smallest output passes
expectType<Tensor<[1, 4, 1, 6]>>(convTranspose2d(zeros([1, 3, 1, 6]), zeros([3, 4, 3, 3]), { padding: 1 }));
// generic sizes: the check waits for literal sizes, the output size stays an expression
export function upsample<B extends number, C extends number, H extends number, W extends number>(x: Tensor<[B, C, H, W]>, w: Tensor<[C, 8, 4, 4]>) {
  return convTranspose2d(x, w, { stride: 2, padding: 1 });
}
expectType<Tensor<[2, 8, 10, 12]>>(upsample(zeros([2, 5, 5, 6]), zeros([5, 8, 4, 4])));

// the arithmetic is exact and cheap for large literals: digit by digit
expectType<300001>(0 as WindowCount<600000, 2, 2, 1, 1>);

// Generic code: C is shared by x and w (checked structurally), the output size stays an expression
// of H that tsc carries; a block keeps B and its channel count.
export function block<B extends number, C extends number, H extends number, W extends number, F extends number>(x: Tensor<[B, C, H, W]>, w1: Tensor<[F, C, 3, 3]>) {
  const y = relu(conv2d(x, w1, { padding: 1 }));
  const pooled: Tensor<[B, F, number, number]> = maxPool2d(y, 2);
  return adaptiveAvgPool2d(pooled, [1, 1]);
}
expectType<Tensor<[4, 16, 1, 1]>>(block(zeros([4, 3, 32, 32]), zeros([16, 3, 3, 3])));
// a kernel size that is a type parameter: the window check waits for literal sizes
export function anyKernel<B extends number, C extends number, F extends number, K extends number, P extends number>(x: Tensor<[B, C, 32, 32]>, w: Tensor<[F, C, K, K]>, p: P) {
  return avgPool2d(maxPool2d(conv2d(x, w), p), 2);
}
// 32 → 28 (5×5) → 7 (pool 4) → 3 (pool 2)
expectType<Tensor<[1, 8, 3, 3]>>(anyKernel(zeros([1, 3, 32, 32]), zeros([8, 3, 5, 5]), 4));
export function wrongChannels<B extends number, C extends number, D extends number, H extends number, W extends number>(x: Tensor<[B, C, H, W]>, w: Tensor<[8, D, 3, 3]>) {
  // @ts-expect-error w's channels D are not x's C
  return conv2d(x, w);
}
