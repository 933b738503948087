// The README's convolution / numpy-ops example, run as written (and checked to be the README's text).
import test from 'ava';
import { readmeExample } from './support/readme.js';
// README example begins
import { conv2d, maxPool2d, adaptiveAvgPool2d, relu, where, greater, clip, logsumexp, exactMul, randn, zeros, type Mul, type Tensor } from 'shaped-vit';

const images = randn([8, 3, 32, 32], { seed: 0 });
const w1 = randn([16, 3, 3, 3], { seed: 1 });
const y = conv2d(images, w1, { padding: 1 });               // Tensor<[8, 16, 32, 32]>: ⌊(32 + 2 − 3) / 1⌋ + 1
const p = maxPool2d(relu(y), 2);                            // Tensor<[8, 16, 16, 16]> (stride defaults to the kernel)
const s = conv2d(p, randn([32, 16, 3, 3], { seed: 2 }), { stride: 2, padding: 1 });   // Tensor<[8, 32, 8, 8]>
const g = adaptiveAvgPool2d(s, [1, 1]);                     // Tensor<[8, 32, 1, 1]>: global average pooling
// conv2d(images, randn([16, 4, 3, 3], { seed: 3 }));       // compile error:
//   conv2d: x has 3 channels but w [16,4,3,3] with groups 1 expects 4
const picked = where(greater(y, zeros([])), y, clip(y, -0.1, 0));   // numpy's where, 0/1 comparisons
const scores = logsumexp(picked, [2, 3]);                   // Tensor<[8, 16]>

// dims computed in your own code keep their literal: Mul<9, C> in a type, exactMul(9, c) at runtime
function im2colWidth<C extends number>(c: C): Tensor<[8, Mul<9, C>]> {
  return zeros([8, exactMul(9, c)]);
}
const cols = im2colWidth(3);                                // Tensor<[8, 27]>
// README example ends

test('the README shows this example as written', (t) => {
  t.true(readmeExample('test/readme-ops.test.ts').shown);
});

test('the example runs with the shapes its comments give', (t) => {
  t.deepEqual([...y.shape], [8, 16, 32, 32]);
  t.deepEqual([...p.shape], [8, 16, 16, 16]);
  t.deepEqual([...s.shape], [8, 32, 8, 8]);
  t.deepEqual([...g.shape], [8, 32, 1, 1]);
  t.deepEqual([...scores.shape], [8, 16]);
  t.deepEqual([...cols.shape], [8, 27]);
  const exact: [Tensor<[8, 16, 32, 32]>, Tensor<[8, 32, 1, 1]>, Tensor<[8, 16]>, Tensor<[8, 27]>] = [y, g, scores, cols];
  t.is(exact.length, 4);
});
