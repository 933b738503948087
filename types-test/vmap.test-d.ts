// vmap's types add the mapped dim: a function of Tensor<[E]> takes Tensor<[B, E]> for any B and
// returns its result with B in front (or at outAxes); inAxes null leaves an argument as it is;
// mapped axes of different literal sizes are a compile error.
import { expectType } from 'tsd';
import { add, crossEntropy, grad, jit, matmul, mean, reshape, sum, vmap, zeros, type Tensor } from 'shaped-vit';

const dot = (a: Tensor<[4]>, b: Tensor<[4]>) => sum(add(a, b));
expectType<Tensor<[7]>>(vmap(dot)(zeros([7, 4]), zeros([7, 4])));
// @ts-expect-error mapped axes of different sizes (7 vs 5)
vmap(dot)(zeros([7, 4]), zeros([5, 4]));
// @ts-expect-error the unmapped dims must fit f
vmap(dot)(zeros([7, 3]), zeros([7, 3]));

// any B, also a generic one
function batched<B extends number>(x: Tensor<[B, 4]>): Tensor<[B]> {
  return vmap((v: Tensor<[4]>) => sum(v))(x);
}
expectType<Tensor<[9]>>(batched(zeros([9, 4])));

// inAxes: null broadcasts an argument, a number maps another axis; outAxes places B
const scaled = vmap((w: Tensor<[4, 2]>, x: Tensor<[3, 4]>) => matmul(x, w), { inAxes: [null, 1], outAxes: 2 });
expectType<Tensor<[3, 2, 6]>>(scaled(zeros([4, 2]), zeros([3, 6, 4])));
// @ts-expect-error the broadcast argument is not mapped: it keeps its own shape
scaled(zeros([6, 4, 2]), zeros([3, 6, 4]));

// per-example gradients: params broadcast, examples mapped; the gradient tree gains B on every leaf
type Params = { w: Tensor<[6, 3]>; b: Tensor<[3]> };
const loss = (p: Params, x: Tensor<[6]>, label: Tensor<[]>) => mean(crossEntropy(add(matmul(reshape(x, [1, 6]), p.w), p.b), reshape(label, [1])));
const perExample = vmap(grad(loss), { inAxes: [null, 0, 0] });
const params: Params = { w: zeros([6, 3]), b: zeros([3]) };
expectType<{ w: Tensor<[32, 6, 3]>; b: Tensor<[32, 3]> }>(perExample(params, zeros([32, 6]), zeros([32])));
// @ts-expect-error 32 examples but 31 labels
perExample(params, zeros([32, 6]), zeros([31]));
// jittable
expectType<Promise<{ w: Tensor<[number, 6, 3]>; b: Tensor<[number, 3]> }>>(jit(perExample)(params, zeros([32, 6]), zeros([32])));

// inAxes as a tree prefix of an argument (JAX's): only the leaves mapped with a number gain B
type Layer = { w: Tensor<[4, 2]>; b: Tensor<[2]> };
const layer = (p: Layer, x: Tensor<[4]>) => add(matmul(reshape(x, [1, 4]), p.w), p.b);
const perBias = vmap(layer, { inAxes: [{ w: null, b: 0 }, 0] });
expectType<Tensor<[5, 1, 2]>>(perBias({ w: zeros([4, 2]), b: zeros([5, 2]) }, zeros([5, 4])));
// @ts-expect-error w is not mapped: it keeps its own shape
perBias({ w: zeros([5, 4, 2]), b: zeros([5, 2]) }, zeros([5, 4]));
// @ts-expect-error b is mapped with 5 examples, x with 6
perBias({ w: zeros([4, 2]), b: zeros([5, 2]) }, zeros([6, 4]));
// @ts-expect-error an axis tree covers every key of its argument
vmap(layer, { inAxes: [{ w: null }, 0] });
// @ts-expect-error a tensor argument takes one axis, not a record of them
vmap(layer, { inAxes: [{ w: null, b: 0 }, { x: 0 }] });
// a mapped axis other than the first, inside the tree
const perBiasColumns = vmap(layer, { inAxes: [{ w: null, b: 1 }, 0] });
expectType<Tensor<[3, 1, 2]>>(perBiasColumns({ w: zeros([4, 2]), b: zeros([2, 3]) }, zeros([3, 4])));

// outAxes as a tree prefix of the result
const pair = vmap((x: Tensor<[3]>) => ({ a: x, total: sum(x) }), { outAxes: { a: 1, total: 0 } });
expectType<{ a: Tensor<[3, 7]>; total: Tensor<[7]> }>(pair(zeros([7, 3])));
// @ts-expect-error outAxes covers every key of the result
vmap((x: Tensor<[3]>) => ({ a: x, total: sum(x) }), { outAxes: { a: 1 } });
