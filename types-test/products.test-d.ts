// Types of prod, cumprod, argmax and argmin: axes and keepDims as for sum (argmax/argmin one axis,
// none for the flat index), for literal shapes and generic dims; a bad axis is a compile error
// naming the axis and the rank.
import { expectType } from 'tsd';
import { argmax, argmin, cumprod, prod, zeros, type Shape, type Tensor } from 'shaped-vit';

const x = zeros([8, 5, 3]);
expectType<Tensor<[]>>(prod(x));
expectType<Tensor<[8, 3]>>(prod(x, 1));
expectType<Tensor<[8, 1, 3]>>(prod(x, -2, true));
expectType<Tensor<[5]>>(prod(x, [0, 2]));
expectType<Tensor<[8, 5, 3]>>(cumprod(x, -1));
expectType<Tensor<[]>>(argmax(x));
expectType<Tensor<[1, 1, 1]>>(argmax(x, undefined, true));
expectType<Tensor<[8, 3]>>(argmax(x, 1));
expectType<Tensor<[8, 5, 1]>>(argmin(x, -1, true));
expectType<Tensor<[5, 3]>>(argmin(x, 0));

// @ts-expect-error axis 3 is out of range for rank 3
prod(x, 3);
// @ts-expect-error axis 2 is repeated in [2,-1]
prod(x, [2, -1]);
// @ts-expect-error axis -4 is out of range for rank 3
cumprod(x, -4);
// @ts-expect-error axis 3 is out of range for rank 3
argmax(x, 3);
// @ts-expect-error one axis, not a list (numpy's argmax)
argmin(x, [0, 1]);

// generic dims: the axis is checked against the rank, the dims carry through
function rowScores<B extends number, C extends number>(logits: Tensor<[B, C]>) {
  expectType<Tensor<[B]>>(argmax(logits, -1));
  expectType<Tensor<[B]>>(argmin(logits, 1));
  expectType<Tensor<[C]>>(prod(logits, 0));
  expectType<Tensor<[B, C]>>(cumprod(logits, 1));
  // @ts-expect-error axis 2 of a rank-2 tensor
  argmax(logits, 2);
}
function lastAxis<S extends Shape, D extends number>(x: Tensor<[...S, D]>): Tensor<S> {
  return argmax(x, -1);
}
expectType<Tensor<[8, 5]>>(lastAxis(x));
