// einsum's subscripts parsed in the type: result shapes, and every rejection (its sentence in the
// comment; test/dsl-einsum.test.ts checks tsc prints it, type-fixtures/einsum-mismatches.ts).
import { expectType } from 'tsd';
import { einsum, zeros, type Tensor } from 'shaped-vit';

const a = zeros([2, 3, 4]);
const b = zeros([2, 4, 5]);
expectType<Tensor<[2, 3, 5]>>(einsum('bij,bjk->bik', a, b));
expectType<Tensor<[3, 5]>>(einsum('bij,bjk', a, b));                                  // implicit: i, k used once
expectType<Tensor<[2, 2, 3, 5]>>(einsum('bhqd,bhkd->bhqk', zeros([2, 2, 3, 4]), zeros([2, 2, 5, 4])));
expectType<Tensor<[4, 3]>>(einsum('ij->ji', zeros([3, 4])));
expectType<Tensor<[]>>(einsum('ii->', zeros([3, 3])));
expectType<Tensor<[]>>(einsum('ii', zeros([3, 3])));
expectType<Tensor<[3]>>(einsum('ii->i', zeros([3, 3])));
expectType<Tensor<[3, 4]>>(einsum('i,j->ij', zeros([3]), zeros([4])));
expectType<Tensor<[]>>(einsum('ij->', zeros([3, 4])));
expectType<Tensor<[2, 4]>>(einsum('bn,anm,bm->ba', zeros([2, 3]), zeros([4, 3, 5]), zeros([2, 5])));
expectType<Tensor<[3, 4]>>(einsum('ba,cb', zeros([2, 3]), zeros([4, 2])));              // alphabetical: a, c
expectType<Tensor<[2, 3, 5]>>(einsum('Ab,Ac->bcA', zeros([5, 2]), zeros([5, 3])));
expectType<Tensor<[5, 4, 2, 2]>>(einsum('...ij,...jk', zeros([5, 1, 2, 3]), zeros([4, 3, 2])));
expectType<Tensor<[2, 5, 3, 2]>>(einsum('...ij,...jk->...ik', zeros([2, 1, 3, 4]), zeros([5, 4, 2])));
expectType<Tensor<[2, 3]>>(einsum('...i->...', zeros([2, 3, 4])));
expectType<Tensor<[2, 4, 3]>>(einsum('...ji', zeros([2, 3, 4])));
// a dim known only at runtime stays `number` (checked when it runs)
declare const batch: Tensor<[number, 3, 4]>;
expectType<Tensor<[number, 3, 5]>>(einsum('bij,jk->bik', batch, zeros([4, 5])));
expectType<Tensor<[2, 3, 5]>>(einsum('bij,bjk->bik', batch, b));                       // the known size wins
expectType<Tensor<[2, 3, 5]>>(einsum('bij,bjk->bik', a, zeros([2, 4, 5]) as Tensor<[number, 4, 5]>));
declare const loose: Tensor<number[]>;
expectType<Tensor<number[]>>(einsum('ij,jk->ik', loose, loose));

// @ts-expect-error einsum: label j is 4 in operand 0 and 5 in operand 1
einsum('ij,jk->ik', zeros([3, 4]), zeros([5, 6]));
// @ts-expect-error einsum: label i is 3 in operand 0 and 4 in operand 0
einsum('ii->i', zeros([3, 4]));
// @ts-expect-error einsum: 'ij,jk->ik' names 2 operands but 3 were given
einsum('ij,jk->ik', zeros([3, 4]), zeros([4, 5]), zeros([5, 6]));
// @ts-expect-error einsum: 'ij,jk->ik' names 2 operands but 1 were given
einsum('ij,jk->ik', zeros([3, 4]));
// @ts-expect-error einsum: output label x is not in the inputs
einsum('ij,jk->ix', zeros([3, 4]), zeros([4, 5]));
// @ts-expect-error einsum: output label i is repeated
einsum('ij,jk->ii', zeros([3, 4]), zeros([4, 5]));
// @ts-expect-error einsum: operand 1 is [4,5,6] but 'jk' names 2 dims
einsum('ij,jk->ik', zeros([3, 4]), zeros([4, 5, 6]));
// @ts-expect-error einsum: operand 0 is [3] but '...ij' names at least 2 dims
einsum('...ij->...', zeros([3]));
// @ts-expect-error einsum: '1' in 'i1' is not a label
einsum('i1->i', zeros([2, 2]));
// @ts-expect-error einsum: the ... dims [4] of operand 1 do not broadcast with [2]
einsum('...i,...i->...', zeros([2, 3]), zeros([4, 3]));
// @ts-expect-error einsum: the output 'ij' has no ... for the broadcast dims [2]
einsum('...ij->ij', zeros([2, 3, 4]));

// code generic over its dims: a label bound to the same type parameter in every operand checks
function scores<B extends number, H extends number, T extends number, D extends number>(q: Tensor<[B, H, T, D]>, k: Tensor<[B, H, T, D]>): Tensor<[B, H, T, T]> {
  return einsum('bhqd,bhkd->bhqk', q, k);
}
expectType<Tensor<[2, 4, 3, 3]>>(scores(zeros([2, 4, 3, 8]), zeros([2, 4, 3, 8])));
function dense<B extends number, E extends number, F extends number>(x: Tensor<[B, E]>, w: Tensor<[E, F]>): Tensor<[B, F]> {
  return einsum('be,ef->bf', x, w);
}
expectType<Tensor<[2, 5]>>(dense(zeros([2, 3]), zeros([3, 5])));
function unprovable<B extends number, E extends number>(x: Tensor<[B, E]>, w: Tensor<[B, 5]>) {
  // @ts-expect-error label e is E in x but B in w: generic code cannot prove E = B
  return einsum('be,ef->bf', x, w);
}
