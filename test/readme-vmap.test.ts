// The README's per-example gradients example, run as written (and checked to be the README's text).
import test from 'ava';
import { readmeExample } from './support/readme.js';
// README example begins
import { vmap, grad, jit, mean, crossEntropy, matmul, reshape, randn, labelTensor, type Tensor } from 'shaped-vit';

type Params = { w: Tensor<[64, 10]> };
const params: Params = { w: randn([64, 10], { seed: 0 }) };
const loss = (p: Params, x: Tensor<[64]>, label: Tensor<[]>) => mean(crossEntropy(matmul(reshape(x, [1, 64]), p.w), reshape(label, [1])));

const images = randn([32, 64], { seed: 1 });
const labels = labelTensor(Array.from({ length: 32 }, (_, k) => k % 10), 10, 32);
const perExample = vmap(grad(loss), { inAxes: [null, 0, 0] });   // params shared, examples mapped
const grads = perExample(params, images, labels);                  // { w: Tensor<[32, 64, 10]> }: one per example
const compiled = await jit(perExample)(params, images, labels);    // the same, traced once and replayed
// README example ends

test('the README shows this example as written', (t) => {
  t.true(readmeExample('test/readme-vmap.test.ts').shown);
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
