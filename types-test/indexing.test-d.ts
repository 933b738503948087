// Types of gather (numpy's take: the indices' dims replace the axis), takeAlongAxis and scatterAdd
// (indices of x's rank, other dims broadcast with x's for takeAlongAxis, equal for scatterAdd;
// updates shaped like the indices), for literal
// shapes and generic dims; mismatches are compile errors naming the shapes and the axis.
import { expectType } from 'tsd';
import { gather, scatterAdd, takeAlongAxis, zeros, type Tensor } from 'shaped-vit';

const table = zeros([1000, 64]);
const tokens = zeros([8, 16]);
expectType<Tensor<[8, 16, 64]>>(gather(table, tokens, 0));
expectType<Tensor<[1000, 8, 16]>>(gather(table, tokens, -1));
expectType<Tensor<[64]>>(gather(table, zeros([]), 0));
const x = zeros([4, 5, 3]);
expectType<Tensor<[4, 7, 3]>>(takeAlongAxis(x, zeros([4, 7, 3]), 1));
expectType<Tensor<[4, 5, 1]>>(takeAlongAxis(x, zeros([4, 5, 1]), -1));
expectType<Tensor<[4, 5, 3]>>(scatterAdd(x, zeros([4, 2, 3]), zeros([4, 2, 3]), 1));

// @ts-expect-error axis 2 is out of range for rank 2
gather(table, tokens, 2);
// numpy's broadcasting of the other dims (a dim of 1 on either side)
expectType<Tensor<[4, 7, 3]>>(takeAlongAxis(x, zeros([1, 7, 3]), 1));
expectType<Tensor<[4, 2, 6]>>(takeAlongAxis(zeros([4, 5, 1]), zeros([1, 2, 6]), 1));
// @ts-expect-error takeAlongAxis along axis 1: x [4,5,3] and indices [4,7,2] do not broadcast at axis 2 (3 vs 2)
takeAlongAxis(x, zeros([4, 7, 2]), 1);
// @ts-expect-error takeAlongAxis needs indices of x's rank: x [4,5,3] and indices [4,7]
takeAlongAxis(x, zeros([4, 7]), 1);
// @ts-expect-error axis 3 is out of range for rank 3
takeAlongAxis(x, zeros([4, 5, 3]), 3);
// @ts-expect-error scatterAdd along axis 0: x [4,5,3] and indices [2,5,1] differ at axis 2 (3 vs 1)
scatterAdd(x, zeros([2, 5, 1]), zeros([2, 5, 1]), 0);
// @ts-expect-error updates must have the indices' shape
scatterAdd(x, zeros([4, 2, 3]), zeros([4, 3, 3]), 1);

// generic dims: an embedding lookup and a per-row pick, with no casts
function embed<V extends number, E extends number, B extends number, T extends number>(w: Tensor<[V, E]>, ids: Tensor<[B, T]>): Tensor<[B, T, E]> {
  return gather(w, ids, 0);
}
expectType<Tensor<[8, 16, 64]>>(embed(table, tokens));
function pick<B extends number, C extends number>(logits: Tensor<[B, C]>, labels: Tensor<[B, 1]>): Tensor<[B, 1]> {
  return takeAlongAxis(logits, labels, 1);
}
expectType<Tensor<[6, 1]>>(pick(zeros([6, 10]), zeros([6, 1])));
function accumulate<B extends number, C extends number, K extends number>(x: Tensor<[B, C]>, at: Tensor<[B, K]>, u: Tensor<[B, K]>): Tensor<[B, C]> {
  // @ts-expect-error indices [K, B]: x's other dim is B
  scatterAdd(x, zeros([0, 0]) as Tensor<[K, B]>, u, 1);
  return scatterAdd(x, at, u, 1);
}
expectType<Tensor<[6, 10]>>(accumulate(zeros([6, 10]), zeros([6, 3]), zeros([6, 3])));
