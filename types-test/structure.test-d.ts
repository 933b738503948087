// Types of the structure ops: literal shapes give literal results, generic dims type-check where the
// arithmetic is structural, and wrong axes/sizes do not compile (the sentences are checked by
// test/type-messages.test.ts on type-fixtures/structure-mismatches.ts).
import { expectType } from 'tsd';
import {
  arange, concat, expandDims, eye, flatten, linspace, oneHot, pad, split, squeeze, stack, zeros, type Add, type Div, type Mul, type Sub, type Tensor,
} from 'shaped-vit';

const a = zeros([2, 3]);
const b = zeros([2, 3]);
expectType<Tensor<[3, 2, 3]>>(stack([a, b, a], 0));
expectType<Tensor<[2, 2, 3]>>(stack([a, b], 1));
expectType<Tensor<[2, 3, 4]>>(stack([a, b, a, b], -1));
expectType<Tensor<[2, 3, 2]>>(stack([a, b], 2));
const many: Tensor<[2, 3]>[] = [a, b, a];
expectType<Tensor<[2, number, 3]>>(stack(many, 1));
expectType<Tensor<[number, 3]>>(concat(many, 0));
// @ts-expect-error stack: tensor 1 has shape [2,4] but tensor 0 has [2,3]
stack([a, zeros([2, 4])], 0);
// @ts-expect-error stack: axis 3 is out of range for a new axis of [2,3]
stack([a, b], 3);

expectType<Tensor<[2, 9]>>(concat([a, b, a], 1));
expectType<Tensor<[5, 3]>>(concat([a, zeros([3, 3])], 0));
expectType<Tensor<[7, 3]>>(concat([a, zeros([3, 3]), zeros([2, 3])], -2));
expectType<Tensor<[2, 3]>>(concat([a], 0));
expectType<Tensor<[8, 18, 384]>>(concat(zeros([8, 1, 384]), zeros([8, 17, 384]), 1));
// @ts-expect-error concat along axis 0: [4,3] and [1,4] differ at axis 1 (3 vs 4)
concat([a, b, zeros([1, 4])], 0);
// @ts-expect-error axis 2 is out of range for rank 2
concat([a, b], 2);

expectType<Tensor<[3, 2]>>(squeeze(zeros([1, 3, 1, 2])));
expectType<Tensor<[3, 1, 2]>>(squeeze(zeros([1, 3, 1, 2]), 0));
expectType<Tensor<[1, 3, 2]>>(squeeze(zeros([1, 3, 1, 2]), -2));
expectType<Tensor<[3, 2]>>(squeeze(zeros([1, 3, 1, 2]), [0, 2]));
// @ts-expect-error squeeze: axis 1 of [1,3,1,2] has dim 3, not 1
squeeze(zeros([1, 3, 1, 2]), 1);
// @ts-expect-error axis 4 is out of range for rank 4
squeeze(zeros([1, 3, 1, 2]), 4);

expectType<Tensor<[1, 2, 3]>>(expandDims(a, 0));
expectType<Tensor<[2, 3, 1]>>(expandDims(a, -1));
expectType<Tensor<[2, 1, 3]>>(expandDims(a, 1));
// @ts-expect-error expandDims: axis 3 is out of range for a new axis of [2,3]
expandDims(a, 3);

const x = zeros([8, 3, 32, 32]);
expectType<Tensor<[24576]>>(flatten(x));
expectType<Tensor<[8, 3072]>>(flatten(x, 1));
expectType<Tensor<[8, 96, 32]>>(flatten(x, 1, 2));
expectType<Tensor<[8, 3, 1024]>>(flatten(x, -2, -1));
// @ts-expect-error flatten: start axis 2 comes after end axis 1 of [8,3,32,32]
flatten(x, 2, 1);
// @ts-expect-error axis 4 is out of range for rank 4
flatten(x, 4);

expectType<Tensor<[5, 4]>>(pad(a, [[1, 2], [0, 1]]));
expectType<Tensor<[8, 3, 34, 34]>>(pad(x, [[0, 0], [0, 0], [1, 1], [1, 1]], -1));
// @ts-expect-error pad needs one [before, after] per axis: 1 for [2,3]
pad(a, [[1, 1]]);
// @ts-expect-error pad width -1 on axis 1 is not a non-negative safe integer
pad(a, [[1, 1], [-1, 0]]);

expectType<[Tensor<[2, 2]>, Tensor<[2, 2]>, Tensor<[2, 2]>]>(split(zeros([6, 2]), 3));
expectType<[Tensor<[2, 2]>, Tensor<[2, 1]>, Tensor<[2, 4]>]>(split(zeros([2, 7]), [2, 3], 1));
expectType<[Tensor<[2, 3, 1]>, Tensor<[2, 3, 3]>]>(split(zeros([2, 3, 4]), [1], -1));
// @ts-expect-error split: 3 sections do not divide dim 10 on axis 0 of [10,2]
split(zeros([10, 2]), 3);
// @ts-expect-error split index 12 exceeds dim 10 on axis 0 of [10,2]
split(zeros([10, 2]), [4, 12]);
// @ts-expect-error split indices [4,2] are not in increasing order
split(zeros([10, 2]), [4, 2]);

expectType<Tensor<[5]>>(arange(5));
expectType<Tensor<[3]>>(arange(2, 9, 3));
expectType<Tensor<[0]>>(arange(9, 2));
expectType<Tensor<[4]>>(arange(3, 7));
expectType<Tensor<[number]>>(arange(0, 1, 0.25));
expectType<Tensor<[number]>>(arange(5, 1, -2));
expectType<Tensor<[3, 3]>>(eye(3));
expectType<Tensor<[2, 5]>>(eye(2, 5));
// @ts-expect-error dim -1 in [2,-1] is not a non-negative safe integer
eye(2, -1);
expectType<Tensor<[50]>>(linspace(0, 1, 50));
expectType<Tensor<[8, 10]>>(oneHot(zeros([8]), 10));
expectType<Tensor<[4, 7, 3]>>(oneHot(zeros([4, 7]), 3));

// generic dims: what is structural type-checks
function generic<B extends number, T extends number, E extends number>(u: Tensor<[B, T, E]>, v: Tensor<[B, T, E]>) {
  expectType<Tensor<[2, B, T, E]>>(stack([u, v], 0));
  expectType<Tensor<[B, T, 3, E]>>(stack([u, v, u], 2));
  expectType<Tensor<[B, T, Mul<3, E>]>>(concat([u, v, u], -1));
  expectType<Tensor<[B, T, Add<E, E>]>>(concat(u, v, 2));
  expectType<Tensor<[B, 1, T, E]>>(expandDims(u, 1));
  expectType<Tensor<[B, T, E]>>(squeeze(expandDims(u, 1), 1));
  expectType<Tensor<[B, Mul<T, E>]>>(flatten(u, 1));
  const padded = pad(u, [[0, 0], [0, 0], [1, 2]]);
  expectType<Tensor<[B, T, Add<Add<E, 1>, 2>]>>(padded);
  expectType<Tensor<[B, T, E, 5]>>(oneHot(u, 5));
  // a generic dim is not provably 1
  // @ts-expect-error
  squeeze(u, 1);
  // @ts-expect-error
  squeeze(expandDims(u, 0), [0, 1]);
  // a list of axes whose dims are literal 1s (the other dims generic)
  const ones = expandDims(expandDims(u, 0), 2);
  expectType<Tensor<[1, B, 1, T, E]>>(ones);
  expectType<Tensor<[B, T, E]>>(squeeze(ones, [0, 2]));
  expectType<Tensor<[B, 1, T, E]>>(squeeze(ones, [-5]));
  // @ts-expect-error axis 2 is repeated in [2,-3]
  squeeze(ones, [2, -3]);
  // split on a generic dim: N sections of Div<E, N>; literal cuts then the rest, Sub<T, last cut>
  expectType<[Tensor<[B, T, Div<E, 2>]>, Tensor<[B, T, Div<E, 2>]>]>(split(u, 2, 2));
  const [q, k, v2] = split(u, 3, -1);
  expectType<Tensor<[B, T, Div<E, 3>]>>(q);
  expectType<[typeof q, typeof q]>([k, v2]);
  expectType<[Tensor<[B, 1, E]>, Tensor<[B, 2, E]>, Tensor<[B, Sub<T, 3>, E]>]>(split(u, [1, 3], 1));
  expectType<[Tensor<[1, T, E]>, Tensor<[Sub<B, 1>, T, E]>]>(split(u, [1]));
}
void generic;
// a literal split axis beside generic dims gets the numbers
function head<B extends number, E extends number>(x: Tensor<[B, 6, E]>) {
  expectType<[Tensor<[B, 1, E]>, Tensor<[B, 2, E]>, Tensor<[B, 3, E]>]>(split(x, [1, 3], 1));
  expectType<[Tensor<[B, 3, E]>, Tensor<[B, 3, E]>]>(split(x, 2, 1));
}
void head;
