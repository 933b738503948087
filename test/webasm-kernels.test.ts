// webasm's own kernels: elementwise ops and fusion groups run as the project's WebAssembly SIMD
// loops (no gpu.js kernel is compiled for them), and agree with a float64 reference on
// broadcasting, rows whose length is not a multiple of 4, and scalars.
import test from 'ava';
import * as sv from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { backendsUnderTest } from './support/backends.js';
import { assertClose, randomArray, sizeOf } from './support/reference.js';

const onWebasm = backendsUnderTest.includes('webasm') ? test.serial : test.serial.skip;

/** NumPy-broadcast read of `data` (shape `from`) at flat index `i` of shape `to`. */
function at(data: Float64Array, from: readonly number[], to: readonly number[], i: number): number {
  let index = 0;
  let stride = 1;
  let rest = i;
  for (let k = to.length - 1; k >= 0; k--) {
    const c = rest % to[k];
    rest = Math.floor(rest / to[k]);
    const j = k - (to.length - from.length);
    if (j < 0) continue;
    if (from[j] !== 1) index += c * stride;
    stride *= from[j];
  }
  return data[index];
}

const cases: Array<[number[], number[], number[]]> = [
  [[1027], [1027], [1027]],
  [[6, 5, 7], [7], [6, 5, 1]],
  [[3, 1, 9], [2, 1], [1, 2, 9]],
  [[2, 17, 6], [1, 17, 6], []],
  [[5, 3], [5, 1], [1]],
  [[], [], []],
];

for (const [sa, sb, sc] of cases) {
  onWebasm(`(a * b + c * 2.5) * 0.5 - gelu(a) on [${sa}], [${sb}], [${sc}]: SIMD kernels, float64 reference`, async (t) => {
    sv.setBackend('webasm');
    const shape = sa.length >= sb.length ? sa : sb;
    const out = shape.map((_, k) => Math.max(...[sa, sb, sc].map((s) => s[k - (shape.length - s.length)] ?? 1)));
    const [a, b, c] = [sa, sb, sc].map((s, k) => randomArray(sizeOf(s), 11 + k, -3, 3).map(Math.fround));
    const [ta, tb, tc] = [a, b, c].map((v, k) => sv.fromTypedArray(v, [sa, sb, sc][k]));
    const be = await sv.backend();
    const before = be.kernelsCompiled();
    const y = sv.sub(sv.mulScalar(sv.add(sv.mul(ta, tb as never) as Tensor, sv.mulScalar(tc, 2.5) as never) as Tensor, 0.5), sv.gelu(ta) as never) as Tensor;
    const got = await y.data();
    t.is(be.kernelsCompiled() - before, 0, 'no gpu.js kernel');
    const erf = (x: number) => {
      // erf by its Maclaurin series (|x| <= 3 here: 60 terms are exact to float64 rounding)
      let term = x;
      let total = x;
      for (let n = 1; n < 60; n++) total += (term *= (-x * x) / n) / (2 * n + 1);
      return (2 / Math.sqrt(Math.PI)) * total;
    };
    const expected = new Float64Array(sizeOf(out)).map((_, i) => {
      const [x, u, v] = [at(a, sa, out, i), at(b, sb, out, i), at(c, sc, out, i)];
      return (x * u + v * 2.5) * 0.5 - 0.5 * x * (1 + erf(x / Math.SQRT2));
    });
    t.deepEqual([...y.shape], out);
    assertClose(t, got, expected, 2e-6, 2e-6, 'values');
  });
}

// layerNorm forward and backward, sums over each kind of axis (rows, columns, a middle axis),
// softmax over rows of odd length, concat and its gradient's slices: values are checked on every backend in dsl-ops.test.ts; here,
// that webasm runs them as its own kernels (no gpu.js kernel) and agrees with cpu's on odd sizes.
onWebasm('layerNorm, sum, broadcastTo, softmax, concat and permute (values and gradients) compile no gpu.js kernel on webasm and match cpu', async (t) => {
  const run = async () => {
    const x = sv.tensor(randomArray(3 * 5 * 13, 5, -2, 2).map(Math.fround), [3, 5, 13]);
    const w = sv.tensor(randomArray(13, 6).map(Math.fround), [13]);
    const loss = (p: Tensor<[3, 5, 13]>) =>
      sv.add(
        sv.add(sv.sum(sv.mul(sv.layerNormalize(p), sv.softmax(p))), sv.sum(sv.mul(sv.sum(p, 1), sv.sum(p, [0, 1])))),
        sv.add(sv.sum(sv.mul(sv.sum(p, 2, true), sv.mean(p, 0))), sv.sum(sv.mul(sv.concat(p, sv.mulScalar(p, 2), 1), sv.permute(sv.concat(p, p, 1), [0, 1, 2])))),
      );
    const [value, grad] = sv.valueAndGrad(loss)(sv.mul(x, w));
    return [await value.data(), await grad.data()];
  };
  sv.setBackend('cpu');
  const [cpuValue, cpuGrad] = await run();
  sv.setBackend('webasm');
  const be = await sv.backend();
  const before = be.kernelsCompiled();
  const [value, grad] = await run();
  t.is(be.kernelsCompiled() - before, 0, 'no gpu.js kernel');
  assertClose(t, value, cpuValue, 1e-4, 1e-4, 'value');
  assertClose(t, grad, cpuGrad, 1e-4, 1e-4, 'gradient');
});
