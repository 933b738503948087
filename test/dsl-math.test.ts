// The numpy elementwise ops of ops/math.ts on every backend: forward vs a float64 reference,
// gradients vs finite differences (comparisons: forward only, they are not differentiable).
import test from 'ava';
import * as sv from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { eachBackend } from './support/backends.js';
import { checkOp } from './support/op-check.js';
import { binaryRef, unaryRef, type Ref } from './support/reference.js';

// float64 erf (Numerical Recipes erfc, |error| < 1.2e-7)
const erf = (x: number) => {
  const t = 1 / (1 + 0.5 * Math.abs(x));
  const y = 1 - t * Math.exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? y : -y;
};
const any = sv as unknown as Record<string, (...a: unknown[]) => Tensor>;

const unaryCases: Array<[string, (x: number) => number, number, number]> = [
  ['abs', Math.abs, -2, 2],
  ['square', (x) => x * x, -2, 2],
  ['sigmoid', (x) => 1 / (1 + Math.exp(-x)), -5, 5],
  ['softplus', (x) => Math.log1p(Math.exp(x)), -5, 5],
  ['sin', Math.sin, -4, 4],
  ['cos', Math.cos, -4, 4],
  ['log1p', Math.log1p, -0.5, 2],
  ['expm1', Math.expm1, -2, 2],
  ['erf', erf, -2.5, 2.5],
  ['reciprocal', (x) => 1 / x, 0.5, 2],
];
for (const [name, f, lo, hi] of unaryCases) {
  eachBackend(`${name} forward and gradient`, async (t) => {
    await checkOp(t, { inputs: [{ shape: [3, 7], lo, hi }], ours: (x) => any[name](x), ref: (x) => unaryRef(x, f), rtol: 2e-4, atol: 2e-5 });
  });
}

eachBackend('log1p and expm1 keep tiny arguments (1e-7 stays 1e-7, not 0 or 1.19e-7)', async (t) => {
  const x = sv.tensor([1e-7, -3e-8], [2]);
  for (const [f, g] of [[sv.log1p, Math.log1p], [sv.expm1, Math.expm1]] as const) {
    const got = await f(x).data();
    [1e-7, -3e-8].forEach((v, k) => t.true(Math.abs(got[k] - g(v)) < 1e-12, `${got[k]} vs ${g(v)}`));
  }
});

eachBackend('sign forward (gradient 0)', async (t) => {
  await checkOp(t, { inputs: [{ shape: [5], values: [-2, -0.5, 0, 0.5, 3] }], ours: (x) => sv.sign(x), ref: (x) => unaryRef(x, Math.sign), skipGrad: true });
  const [g] = sv.grad((x: Tensor[]) => sv.sum(sv.sign(x[0])))([sv.tensor([1, -2, 3], [3])]);
  t.deepEqual([...(await g.data())], [0, 0, 0]);
});

eachBackend('clip forward and gradient (passes on [lo, hi])', async (t) => {
  await checkOp(t, { inputs: [{ shape: [4, 5], lo: -2, hi: 2 }], ours: (x) => sv.clip(x, -0.7, 1.1), ref: (x) => unaryRef(x, (v) => Math.min(Math.max(v, -0.7), 1.1)) });
});

const pairs: Array<[number[], number[]]> = [
  [[2, 3], [2, 3]],
  [[2, 3, 4], [4]],
  [[1, 5, 3], [2, 1, 3]],
];
const binaryCases: Array<[string, (a: number, b: number) => number, boolean]> = [
  ['maximum', Math.max, true],
  ['minimum', Math.min, true],
  ['greater', (a, b) => +(a > b), false],
  ['greaterEqual', (a, b) => +(a >= b), false],
  ['less', (a, b) => +(a < b), false],
  ['lessEqual', (a, b) => +(a <= b), false],
  ['notEqual', (a, b) => +(a !== b), false],
];
for (const [name, f, differentiable] of binaryCases) {
  for (const [sa, sb] of pairs) {
    eachBackend(`${name} [${sa}] with [${sb}]`, async (t) => {
      await checkOp(t, { inputs: [{ shape: sa }, { shape: sb }], ours: (a, b) => any[name](a, b), ref: (a, b) => binaryRef(a, b, f), skipGrad: !differentiable });
    });
  }
}

eachBackend('comparisons on ties: greaterEqual/lessEqual 1, greater/less/notEqual 0; maximum splits the gradient', async (t) => {
  const a = sv.tensor([1, 2, 3], [3]);
  const b = sv.tensor([1, 5, 0], [3]);
  t.deepEqual([...(await sv.greaterEqual(a, b).data())], [1, 0, 1]);
  t.deepEqual([...(await sv.lessEqual(a, b).data())], [1, 1, 0]);
  t.deepEqual([...(await sv.notEqual(a, b).data())], [0, 1, 1]);
  const [ga, gb] = sv.grad((x: Tensor[]) => sv.sum(sv.maximum(x[0], x[1])))([a, b]);
  t.deepEqual([...(await ga.data())], [0.5, 0, 1]);
  t.deepEqual([...(await gb.data())], [0.5, 1, 0]);
});

eachBackend('pow a^b with broadcasting, gradients for both', async (t) => {
  await checkOp(t, { inputs: [{ shape: [2, 3], lo: 0.3, hi: 2 }, { shape: [3], lo: -1.5, hi: 2.5 }], ours: (a, b) => sv.pow(a, b), ref: (a, b) => binaryRef(a, b, Math.pow), rtol: 3e-4 });
  for (const n of [3, -2, 0, 1.5]) {
    const lo = n === 1.5 ? 0.2 : n < 0 ? 0.5 : -2;
    await checkOp(t, { inputs: [{ shape: [5], lo, hi: 2 }], ours: (a) => sv.pow(a, n), ref: (a) => unaryRef(a, (v) => v ** n) });
  }
  const negative = await sv.pow(sv.tensor([-2], [1]), sv.tensor([2], [1])).data();
  t.true(Number.isNaN(negative[0]), 'a negative base with a tensor exponent is NaN on every backend');
});

const whereRef = (c: Ref, a: Ref, b: Ref): Ref => {
  const ca = binaryRef(c, a, (cv) => cv);
  const picked = binaryRef(ca, binaryRef(c, a, (_c, av) => av), (cv, av) => (cv !== 0 ? av : NaN));
  return binaryRef(picked, binaryRef(ca, b, (_c, bv) => bv), (pv, bv) => (Number.isNaN(pv) ? bv : pv));
};
eachBackend('where(cond, a, b) broadcasting all three; gradient to the branch taken', async (t) => {
  const cond = [1, 0, 0, 1, 1, 0];
  await checkOp(t, { inputs: [{ shape: [2, 3], values: cond }, { shape: [2, 3] }, { shape: [3] }], ours: (c, a, b) => sv.where(c, a, b), ref: whereRef });
  await checkOp(t, { inputs: [{ shape: [3, 1], values: [0, 1, 0] }, { shape: [4] }, { shape: [] }], ours: (c, a, b) => sv.where(c as never, a as never, b as never) as Tensor, ref: whereRef });
});

test('clip rejects lo above hi', (t) => {
  t.throws(() => sv.clip(sv.zeros([2]), 1, 0), { message: 'clip: lo 1 is above hi 0' });
});
