// The README's transformations example, run as written (and checked to be the README's text).
import test from 'ava';
import { readmeExample } from './support/readme.js';
// README example begins
import { vjp, jvp, jacfwd, jacrev, hessian, stopGradient, customVjp, scan, grad, add, mul, sum, tanh, exp, addScalar, tensor, ones, type Tensor } from 'shaped-vit';

const f = (x: Tensor<[3]>) => tanh(mul(x, x));
const x = tensor([0.5, -1, 2], [3]);
const [y, pullback] = vjp(f, x);
await y.data();                                    // reading y does not invalidate the pullback
const xBar = pullback(ones([3]));                  // Jᵀ·1, callable again with other cotangents
pullback.dispose();                                // or let its tidy scope release it
const [, jv] = jvp(f, [x], [tensor([1, 0, 0], [3])]);   // J·e₀, forward mode
const J: Tensor<[3, 3]> = jacfwd(f)(x);            // = jacrev(f)(x): Tensor<[...O, ...I]>
const H: Tensor<[3, 3]> = hessian((v: Tensor<[3]>) => sum(f(v)))(x);

const g = grad((v: Tensor<[3]>) => sum(mul(v, stopGradient(v))))(x);   // = x: no gradient through the second factor
// a custom VJP (JAX's custom_vjp): fwd gives the value and residuals, bwd one cotangent per argument
const onePlusExp = customVjp(
  (v: Tensor<[3]>) => addScalar(exp(v), 1),
  (v: Tensor<[3]>) => [addScalar(exp(v), 1), exp(v)] as const,
  (ev, gOut) => [mul(gOut, ev)],
);
const dOnePlusExp = grad((v: Tensor<[3]>) => sum(onePlusExp(v)))(x);       // eˣ
// scan: an RNN over 5 tokens; the carry h stays a Tensor<[3]>, the stacked states are Tensor<[5, 3]>
const tokens = tensor(Array.from({ length: 15 }, (_, k) => Math.sin(k)), [5, 3]);
const rnnStep = (h: Tensor<[3]>, token: Tensor<[3]>) => {
  const next = tanh(add(h, token));
  return [next, next] as const;
};
const [hLast, hs] = scan(rnnStep, x, tokens);
const dTokens = grad((ts: Tensor<[5, 3]>) => sum(scan(rnnStep, x, ts)[0]))(tokens);   // differentiable, jittable
// README example ends

test('the README shows this example as written', (t) => {
  t.true(readmeExample('test/readme-transforms.test.ts').shown);
});

test('the README example computes what it says', async (t) => {
  const d = (v: number) => 2 * v * (1 - Math.tanh(v * v) ** 2);
  const xs = [0.5, -1, 2];
  const close = (a: ArrayLike<number>, b: number[]) => b.every((v, k) => Math.abs(a[k] - v) < 1e-4 * (1 + Math.abs(v)));
  t.true(close(await xBar.data(), xs.map(d)));
  t.true(close(await jv.data(), [d(0.5), 0, 0]));
  t.true(close(await J.data(), [d(0.5), 0, 0, 0, d(-1), 0, 0, 0, d(2)]));
  const d2 = (v: number) => { const s = 1 - Math.tanh(v * v) ** 2; return 2 * s - 8 * v * v * Math.tanh(v * v) * s; };
  t.true(close(await H.data(), [d2(0.5), 0, 0, 0, d2(-1), 0, 0, 0, d2(2)]));
  t.deepEqual([...(await g.data())], xs);
  t.true(close(await dOnePlusExp.data(), xs.map(Math.exp)));
  t.deepEqual(hs.shape, [5, 3]);
  t.true(close(await hLast.data(), [...(await hs.data())].slice(12)));
  t.deepEqual(dTokens.shape, [5, 3]);
  t.true((await dTokens.data()).every((v) => Number.isFinite(v) && v !== 0));
});
