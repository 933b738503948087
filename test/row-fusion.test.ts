// Row ops (softmax, layerNorm and their gradients) fused with their neighbours, on every backend:
// values and gradients of graphs where elementwise producers run inside the row statistics and
// the row op's elementwise stage joins its consumers, against float64 references; and, where the
// backend has no row kernels of its own, the plan those graphs get.
import type { ExecutionContext } from 'ava';
import * as sv from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { hasOwnKernel } from '../src/dsl/kernel-table.js';
import { softmaxP } from '../src/dsl/ops/softmax.js';
import { normalizeGradP } from '../src/dsl/ops/layernorm.js';
import { eachBackend } from './support/backends.js';
import { checkOp } from './support/op-check.js';
import { alongAxis, binaryRef, type Ref } from './support/reference.js';

const softmaxRef = (v: number[]) => {
  const m = Math.max(...v);
  const e = v.map((x) => Math.exp(x - m));
  const s = e.reduce((p, x) => p + x, 0);
  return e.map((x) => x / s);
};
const scale = (x: Ref, c: number): Ref => ({ shape: x.shape, data: x.data.map((v) => v * c) });
const plus = (a: Ref, b: Ref) => binaryRef(a, b, (x, y) => x + y);
const times = (a: Ref, b: Ref) => binaryRef(a, b, (x, y) => x * y);
const layerNormRef = (x: Ref, w: Ref, b: Ref) =>
  alongAxis(x, x.shape.length - 1, (v) => {
    const m = v.reduce((s, y) => s + y, 0) / v.length;
    const varr = v.reduce((s, y) => s + (y - m) ** 2, 0) / v.length;
    return v.map((y, k) => ((y - m) / Math.sqrt(varr + 1e-5)) * w.data[k] + b.data[k]);
  });

interface Case {
  readonly title: string;
  readonly inputs: readonly { readonly shape: readonly number[]; readonly lo?: number; readonly hi?: number }[];
  readonly ours: (...x: Tensor[]) => Tensor;
  readonly ref: (...x: Ref[]) => Ref;
}

// scaled scores plus a broadcast bias, softmax along `axis`, then scaled again (attention's shape)
const attentionLike = (title: string, axis: number, shape: number[], bias: number[]): Case => ({
  title,
  inputs: [{ shape, lo: -3, hi: 3 }, { shape: bias }],
  ours: (x, b) => sv.mulScalar(sv.softmax(sv.add(sv.mulScalar(x, 0.7), b), axis), 1.5),
  ref: (x, b) => scale(alongAxis(plus(scale(x, 0.7), b), axis, softmaxRef), 1.5),
});

const cases: Case[] = [
  attentionLike('softmax of scaled rows plus a bias, scaled', 2, [2, 3, 17], [3, 1]),
  attentionLike('softmax along a middle axis of a sum', 1, [2, 7, 5], [7, 5]),
  {
    // a residual block's norm: layerNorm of a sum, its output added back to one summand
    title: 'layerNorm of a residual sum, added back',
    inputs: [{ shape: [6, 19], lo: -2, hi: 2 }, { shape: [6, 19] }, { shape: [19] }, { shape: [19] }],
    ours: (x, y, w, b) => sv.mul(sv.add(sv.layerNorm(sv.add(x, y) as Tensor<[number, number]>, w as Tensor<[number]>, b as Tensor<[number]>), y), y),
    ref: (x, y, w, b) => times(plus(layerNormRef(plus(x, y), w, b), y), y),
  },
  {
    title: 'logSoftmax of a scaled softmax (a row op feeding another)',
    inputs: [{ shape: [4, 9], lo: -3, hi: 3 }],
    ours: (x) => sv.logSoftmax(sv.mulScalar(sv.softmax(x, 1), 3), 1),
    ref: (x) => alongAxis(scale(alongAxis(x, 1, softmaxRef), 3), 1, (v) => softmaxRef(v).map(Math.log)),
  },
];

for (const { title, inputs, ours, ref } of cases) {
  eachBackend(`${title}: values and gradients`, async (t) => {
    await checkOp(t, { inputs, ours, ref, atol: 1e-4, rtol: 1e-3 });
  });
}

/** The kernel kinds one evaluation of `build()` and its gradient ran. */
async function kernelsOf(t: ExecutionContext, build: (x: Tensor) => Tensor, x: Tensor): Promise<string[]> {
  const [, entries] = await sv.profile(async () => {
    const [value, [g]] = sv.valueAndGrad((p: [Tensor]) => sv.sum(build(p[0])))([x]);
    await sv.realize([value, g]);
    t.true((await g.data()).every(Number.isFinite));
  });
  return entries.map((e) => e.kernel).sort();
}

eachBackend('where the backend has no softmax kernel of its own, the scaling runs inside softmax and its gradient', async (t, backend) => {
  const x = sv.tensor(Array.from({ length: 2 * 17 }, (_, k) => Math.sin(k)), [2, 17]);
  const kernels = await kernelsOf(t, (s) => sv.mul(sv.softmax(sv.mulScalar(s, 0.125), 1), sv.softmax(s, 1)), x);
  t.log(kernels.join(', '));
  if (hasOwnKernel(softmaxP, backend)) {
    t.true(kernels.includes('softmax'));
    return;
  }
  // forward: each softmax is its statistics plus a stage fused with its producer or consumer;
  // backward: the softmax gradients' statistics, their stages fused with the scaling
  t.false(kernels.includes('mulScalar'), kernels.join(', '));
  t.true(kernels.includes('softmax.stats') && kernels.includes('softmaxGrad.stats'), kernels.join(', '));
  t.true(kernels.includes('fused(mulScalar+softmax)'), kernels.join(', '));
  t.true(kernels.some((k) => /^fused\(.*mulScalar.*softmaxGrad/.test(k)), kernels.join(', '));
});

eachBackend('where the backend has no layerNorm kernels of its own, its gradient takes in the affine scale and the residual sum', async (t, backend) => {
  const x = sv.tensor(Array.from({ length: 3 * 24 }, (_, k) => Math.cos(k)), [3, 24]);
  const w = sv.tensor(Array.from({ length: 24 }, (_, k) => 1 + k / 24), [24]);
  const b = sv.zeros([24]);
  const kernels = await kernelsOf(t, (s) => sv.mul(sv.add(sv.layerNorm(s as Tensor<[number, number]>, w, b), s), s), x);
  t.log(kernels.join(', '));
  if (hasOwnKernel(normalizeGradP, backend)) {
    t.true(kernels.includes('layerNormGrad'));
    return;
  }
  t.true(kernels.includes('layerNormalize.stats') && kernels.includes('layerNormGrad.stats'), kernels.join(', '));
  // dx = layerNormGrad(x, g * w), added to the residual path's gradient: one kernel after the statistics
  t.true(kernels.some((k) => /^fused\((.*\+)?add\+.*layerNormGrad.*\)$/.test(k) && /\bmul\b/.test(k)), kernels.join(', '));
});
