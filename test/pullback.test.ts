// A pullback holds the graph it differentiates: it stays valid whatever is evaluated in between
// (reading a tensor turns it into a leaf), is callable many times, and is released by dispose()
// or its tidy scope. Never a silent zero.
import test from 'ava';
import { exp, mul, ones, realize, sum, tanh, tensor, tidy, vjp, valueAndGrad, type Tensor } from '../src/index.js';
import { eachBackend } from './support/backends.js';
import { assertClose } from './support/reference.js';

eachBackend('reading the primal keeps the pullback right (the issue 15 example)', async (t) => {
  const [y, pullback] = vjp((v) => mul(v, v), tensor([1, 2, 3], [3]));
  t.deepEqual([...(await y.data())], [1, 4, 9]);
  t.deepEqual([...(await pullback(ones([3])).data())], [2, 4, 6]);
  // again, after more evaluations, with another cotangent
  t.deepEqual([...(await pullback(tensor([1, 0, -1], [3])).data())], [2, 0, -6]);
  pullback.dispose();
});

eachBackend('pullback through realized intermediates and outputs, called many times', async (t) => {
  const x = tensor([0.1, -0.4, 0.7, 1.2], [4]);
  let hidden: Tensor<[4]> | undefined;
  const [y, pullback] = vjp((v: Tensor<[4]>) => {
    hidden = tanh(v);
    return exp(mul(hidden, v));
  }, x);
  await realize([hidden!]); // an intermediate read by the program turns into a leaf
  const yv = await y.data();
  const xs = [0.1, -0.4, 0.7, 1.2];
  const want = xs.map((v, i) => yv[i] * (Math.tanh(v) + v * (1 - Math.tanh(v) ** 2)));
  for (let k = 0; k < 3; k++) {
    assertClose(t, await pullback(ones([4])).data(), want, 1e-5, 1e-4, `call ${k}`);
    await y.data();
  }
  pullback.dispose();
  t.throws(() => pullback(ones([4])), { message: /pullback was disposed/ });
});

test('a pullback dies with its tidy scope unless the scope returns it', async (t) => {
  const x = tensor([1, 2], [2]);
  const kept = await tidy(() => vjp((v: Tensor<[2]>) => mul(mul(v, v), v), x));
  await kept[0].data();
  t.deepEqual([...(await kept[1](ones([2])).data())], [3, 12]);
  let inner: ((g: Tensor<[2]>) => unknown) | undefined;
  await tidy(() => {
    const [y, pb] = vjp((v: Tensor<[2]>) => mul(v, v), x);
    inner = pb;
    return y;
  });
  t.throws(() => inner!(ones([2])), { message: /pullback was disposed/ });
});

test('a disposed residual fails loudly, naming it, instead of giving zeros', async (t) => {
  const x = tensor([1, 2], [2]);
  let h: Tensor<[2]> | undefined;
  const [, pullback] = vjp((v: Tensor<[2]>) => mul((h = exp(v)), v), x);
  h!.dispose();
  t.throws(() => pullback(ones([2])), { message: /exp.*was disposed/ });
});

test('valueAndGrad after reading the value of an earlier step', async (t) => {
  const vg = valueAndGrad((p: Tensor<[3]>) => sum(mul(p, p)));
  const p = tensor([1, -2, 3], [3]);
  const [v, g] = vg(p);
  t.is((await v.data())[0], 14);
  t.deepEqual([...(await g.data())], [2, -4, 6]);
});
