// Types of the numpy elementwise ops: shapes broadcast as for add; mismatches name both shapes.
import { expectType } from 'tsd';
import { clip, greater, maximum, pow, sigmoid, where, zeros, type Tensor } from 'shaped-vit';

const x = zeros([8, 17, 384]);
expectType<Tensor<[8, 17, 384]>>(sigmoid(x));
expectType<Tensor<[8, 17, 384]>>(clip(x, -1, 1));
expectType<Tensor<[8, 17, 384]>>(maximum(x, zeros([384])));
expectType<Tensor<[8, 17, 384]>>(pow(x, 2));
expectType<Tensor<[8, 17, 384]>>(pow(x, zeros([1, 17, 1])));
expectType<Tensor<[8, 17, 384]>>(where(greater(x, zeros([])), x, zeros([])));
expectType<Tensor<[2, 3, 4]>>(where(zeros([2, 1, 1]), zeros([3, 4]), zeros([4])));
// @ts-expect-error shapes [8,17,384] and [383] are not broadcastable (384 vs 383)
maximum(x, zeros([383]));
// @ts-expect-error where: a [3,5] does not broadcast with cond [2,1,4]
where(zeros([2, 1, 4]), zeros([3, 5]), zeros([5]));
