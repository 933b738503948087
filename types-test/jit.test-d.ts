// jit keeps the types of what it compiles: the arguments it takes and the tree of tensors it
// resolves to, shapes included; a wrong argument shape is a compile error, as for `f` itself.
import { expectType } from 'tsd';
import { add, jit, matmul, scalar, mul, zeros, type Tensor } from 'shaped-vit';

const dense = jit((x: Tensor<[4, 3]>, w: Tensor<[3, 2]>, lr: Tensor<[]>) => ({ y: matmul(x, w), scaled: mul(w, lr) }));
expectType<Promise<{ y: Tensor<[4, 2]>; scaled: Tensor<[3, 2]> }>>(dense(zeros([4, 3]), zeros([3, 2]), scalar(0.1)));
expectType<number>(dense.compilations);

// a generic f is typed at its constraint (tsc keeps type parameters only through plain function
// types, and a jitted function also carries its compilations): the batch dim becomes number; at
// run time each batch size compiles its own plan
const twice = jit(<B extends number>(x: Tensor<[B, 8]>) => add(x, x));
expectType<Promise<Tensor<[number, 8]>>>(twice(zeros([16, 8])));
// @ts-expect-error still checked against the constraint
twice(zeros([16, 9]));

// @ts-expect-error a [3, 4] input where [4, 3] is declared
dense(zeros([3, 4]), zeros([3, 2]), scalar(0.1));
// @ts-expect-error the learning rate must be a scalar tensor (per-call values are inputs)
dense(zeros([4, 3]), zeros([3, 2]), 0.1);
