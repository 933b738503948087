// The README's per-example gradients example, run as written (and checked to be the README's text).
import test from 'ava';
import { readmeExample } from './support/readme.js';
// README example begins
import { vmap, grad, jit, mean, sum, add, crossEntropy, matmul, reshape, randn, labelTensor, type Tensor } from 'shaped-vit';

type Params = { w: Tensor<[64, 10]> };
const params: Params = { w: randn([64, 10], { seed: 0 }) };
const loss = (p: Params, x: Tensor<[64]>, label: Tensor<[]>) => mean(crossEntropy(matmul(reshape(x, [1, 64]), p.w), reshape(label, [1])));

const images = randn([32, 64], { seed: 1 });
const labels = labelTensor(Array.from({ length: 32 }, (_, k) => k % 10), 10, 32);
const perExample = vmap(grad(loss), { inAxes: [null, 0, 0] });   // params shared, examples mapped
const grads = perExample(params, images, labels);                  // { w: Tensor<[32, 64, 10]> }: one per example
const compiled = await jit(perExample)(params, images, labels);    // the same, traced once and replayed
// an axis tree: w shared, b mapped (only the mapped leaves gain B in the type)
const affine = (p: { w: Tensor<[64, 10]>; b: Tensor<[10]> }, x: Tensor<[64]>) => sum(add(matmul(reshape(x, [1, 64]), p.w), p.b));
const perBias: Tensor<[32]> = vmap(affine, { inAxes: [{ w: null, b: 0 }, 0] })({ w: params.w, b: randn([32, 10], { seed: 2 }) }, images);
// README example ends

test('the README shows this example as written', (t) => {
  t.true(readmeExample('test/readme-vmap.test.ts').shown);
});

test('an axis tree maps only the leaves given a number', async (t) => {
  t.deepEqual([...perBias.shape], [32]);
  const b = await randn([32, 10], { seed: 2 }).data();
  const want = await matmul(images, params.w).data();
  const got = await perBias.data();
  for (let n = 0; n < 32; n++) {
    let total = 0;
    for (let c = 0; c < 10; c++) total += want[n * 10 + c] + b[n * 10 + c];
    t.true(Math.abs(got[n] - total) < 1e-3, `example ${n}: ${got[n]} vs ${total}`);
  }
});

test('per-example gradients: their mean is the batch gradient', async (t) => {
  t.deepEqual([...grads.w.shape], [32, 64, 10]);
  const batch = grad((p: Params) => mean(vmap((x: Tensor<[64]>, y: Tensor<[]>) => loss(p, x, y))(images, labels)))(params);
  const perMean = await mean(grads.w, 0).data();
  const whole = await batch.w.data();
  const jitted = await compiled.w.data();
  const eager = await grads.w.data();
  for (let k = 0; k < whole.length; k++) t.true(Math.abs(perMean[k] - whole[k]) < 1e-5, `element ${k}`);
  for (let k = 0; k < eager.length; k++) t.true(Math.abs(jitted[k] - eager[k]) < 1e-5, `element ${k}`);
});
