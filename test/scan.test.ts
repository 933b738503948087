// scan against its definition (a host loop in float64), its gradient against finite differences,
// on every backend, eagerly, under jit and under vmap: an RNN over tokens.
import test from 'ava';
import { add, fromTypedArray, grad, jit, matmul, mean, reshape, scan, sum, tanh, vmap, type Tensor } from '../src/index.js';
import { eachBackend } from './support/backends.js';
import { assertClose, finiteDifferences, randomArray } from './support/reference.js';

const T = 5, E = 3, H = 4;
type T = typeof T;
type E = typeof E;
type H = typeof H;
type Rnn = { w: Tensor<[H, H]>; u: Tensor<[H, E]> };
const W = randomArray(H * H, 11, -0.6, 0.6);
const U = randomArray(H * E, 12, -0.8, 0.8);
const XS = randomArray(T * E, 13);
const H0 = randomArray(H, 14);

const cell = (p: Rnn) => (h: Tensor<[H]>, x: Tensor<[E]>): [Tensor<[H]>, Tensor<[H]>] => {
  const next = tanh(add(reshape(matmul(p.w, reshape(h, [H, 1])), [H]), reshape(matmul(p.u, reshape(x, [E, 1])), [H])));
  return [next, next];
};
const rnn = (p: Rnn, h0: Tensor<[H]>, xs: Tensor<[T, E]>) => scan(cell(p), h0, xs);
const loss = (p: Rnn, h0: Tensor<[H]>, xs: Tensor<[T, E]>) => {
  const [last, hs] = rnn(p, h0, xs);
  return add(mean(hs), sum(last));
};

/** The RNN on the host: final state and stacked states. */
function rnnHost(w: ArrayLike<number>, u: ArrayLike<number>, h0: ArrayLike<number>, xs: ArrayLike<number>): { last: number[]; hs: number[] } {
  let h = Array.from(h0);
  const hs: number[] = [];
  for (let t = 0; t < T; t++) {
    h = h.map((_, i) => {
      let z = 0;
      for (let j = 0; j < H; j++) z += w[i * H + j] * h[j];
      for (let j = 0; j < E; j++) z += u[i * E + j] * xs[t * E + j];
      return Math.tanh(z);
    });
    hs.push(...h);
  }
  return { last: h, hs };
}
const lossHost = (w: ArrayLike<number>) => {
  const { last, hs } = rnnHost(w, U, H0, XS);
  return hs.reduce((a, v) => a + v, 0) / hs.length + last.reduce((a, v) => a + v, 0);
};

const params = (): Rnn => ({ w: fromTypedArray(W, [H, H]), u: fromTypedArray(U, [H, E]) });

eachBackend('scan: an RNN over tokens against a host loop, its gradient against finite differences, eager and jitted', async (t) => {
  const [last, hs] = rnn(params(), fromTypedArray(H0, [H]), fromTypedArray(XS, [T, E]));
  const want = rnnHost(W, U, H0, XS);
  t.deepEqual(hs.shape, [T, H]);
  assertClose(t, await hs.data(), want.hs, 1e-5, 1e-4, 'ys');
  assertClose(t, await last.data(), want.last, 1e-5, 1e-4, 'final carry');
  const fd = finiteDifferences(Float64Array.from(W), lossHost);
  const g = grad(loss)(params(), fromTypedArray(H0, [H]), fromTypedArray(XS, [T, E]));
  assertClose(t, await g.w.data(), fd, 2e-3, 2e-3, 'dL/dW');
  const jitted = jit(grad(loss));
  const gj = await jitted(params(), fromTypedArray(H0, [H]), fromTypedArray(XS, [T, E]));
  assertClose(t, await gj.w.data(), fd, 2e-3, 2e-3, 'jit: dL/dW');
  jitted.dispose();
});

eachBackend('scan under vmap: a batch of sequences', async (t) => {
  const xs2 = new Float64Array([...XS, ...XS.map((v) => -v)]);
  const [last] = vmap((x: Tensor<[T, E]>) => rnn(params(), fromTypedArray(H0, [H]), x), { inAxes: 0 })(fromTypedArray(xs2, [2, T, E]));
  assertClose(t, await last.data(), [...rnnHost(W, U, H0, XS).last, ...rnnHost(W, U, H0, XS.map((v) => -v)).last], 1e-5, 1e-4, 'per sequence');
});

test('scan refuses a carry that changes shape', (t) => {
  const xs = fromTypedArray(XS, [T, E]);
  const grow = (c: Tensor, x: Tensor<[E]>): [Tensor, Tensor<[E]>] => [reshape(c, [1, ...c.shape]) as Tensor, x];
  t.throws(() => scan(grow, fromTypedArray(H0, [H]) as Tensor, xs), { message: /step 0 changed carry tensor 0 from \[4\] to \[1,4\]/ });
});
