// The README's user-defined op example, run as written (and checked to be the README's text).
import test from 'ava';
import { readmeExample } from './support/readme.js';
// README example begins
import { definePrimitive, apply, grad, vmap, jit, mul, div, addScalar, sum, tensor, type Shape, type Tensor } from 'shaped-vit';

/** Pseudo-Huber, √(x² + 1) - 1: one Arith expression is its kernel on every backend, fused or SIMD. */
const pseudoHuberP = definePrimitive({
  name: 'pseudoHuber',
  transforms: ['vjp'],
  shape: ([x]) => [...x],
  lowering: { arith: (m, [x]) => m.sub(m.sqrt(m.add(m.mul(x, x), m.const(1))), m.const(1)) },
  vjp: (g, out, [x]) => [mul(g, div(x, addScalar(out, 1)))],   // d/dx = x / √(x² + 1)
});
const pseudoHuber = <S extends Shape>(x: Tensor<S>): Tensor<S> => apply(pseudoHuberP, [x], undefined);

const x = tensor([[-2, 0, 3]], [1, 3]);
const y = pseudoHuber(x);                                        // [[1.236, 0, 2.162]]
const dy = grad((v: Tensor<[1, 3]>) => sum(pseudoHuber(v)))(x);  // [[-0.894, 0, 0.949]]
const rows = vmap((v: Tensor<[3]>) => sum(pseudoHuber(v)))(x);   // [3.398]: elementwise ops batch by broadcasting
const compiled = await jit((v: Tensor<[1, 3]>) => grad((w: Tensor<[1, 3]>) => sum(pseudoHuber(w)))(v))(x);
// README example ends

const round = async (t: Tensor) => [...(await t.data())].map((v) => Math.round(v * 1000) / 1000);

test('the README shows this example as written', (t) => {
  t.true(readmeExample('test/readme-primitive.test.ts').shown);
});

test('the user-defined op computes, differentiates, batches and jits as the README says', async (t) => {
  t.deepEqual(await round(y), [1.236, 0, 2.162]);
  t.deepEqual(await round(dy), [-0.894, 0, 0.949]);
  t.deepEqual(await round(rows), [3.398]);
  t.deepEqual(await round(compiled), [-0.894, 0, 0.949]);
});
