// webgpu's row statistics as our WGSL workgroup reduction (kernels/webgpu-rows.ts), on whichever
// WebGPU adapter this run has (Dawn on Mesa in Node; SwiftShader in Chromium, the page runs this
// file too): each row rule's statistics from our kernel and from gpu.js's portable kernel (the
// fallback) against float64, for the ViT's row lengths and odd ones; rows along a middle axis; more
// rows than one dispatch dimension holds; elementwise producers computed inside (as fusion asks);
// then softmax and layerNorm values and gradients through the ops at the ViT's lengths (these run
// ours only where the backend turns it on: not on software adapters).
import test from 'ava';
import * as sv from '../src/index.js';
import type { Tensor } from '../src/index.js';
import type { Storage, WebgpuBackend } from '../src/dsl/backend.js';
import { rowsOf } from '../src/dsl/kernel-table.js';
import { normalizeGradP, normalizeP } from '../src/dsl/ops/layernorm.js';
import { softmaxGradP, softmaxP } from '../src/dsl/ops/softmax.js';
import { portableRowStats, rowStatsKernel } from '../src/dsl/rows.js';
import { groupRowStats } from '../src/dsl/fusion.js';
import { rowStatsWgsl } from '../src/dsl/kernels/webgpu-rows.js';
import { backendsUnderTest } from './support/backends.js';
import { checkOp } from './support/op-check.js';
import { alongAxis, randomArray, type Ref } from './support/reference.js';

const eps = 1e-5;
const mean = (v: readonly number[]) => v.reduce((s, x) => s + x, 0) / v.length;
const moments = (x: readonly number[]) => {
  const m = mean(x);
  return [m, 1 / Math.sqrt(mean(x.map((v) => (v - m) ** 2)) + eps)];
};

interface RuleCase {
  readonly name: string;
  readonly op: sv.Primitive<any>;
  readonly inputs: number;
  readonly attrs: (length: number) => unknown;
  /** the row's statistics in float64 from its inputs' elements */
  readonly stats: (rows: readonly number[][]) => number[];
}

const rules: RuleCase[] = [
  {
    name: 'softmax',
    op: softmaxP,
    inputs: 1,
    attrs: () => 1,
    stats: ([x]) => {
      const m = Math.max(...x);
      return [m + Math.log(x.reduce((s, v) => s + Math.exp(v - m), 0))];
    },
  },
  { name: 'softmaxGrad', op: softmaxGradP, inputs: 2, attrs: () => 1, stats: ([y, g]) => [y.reduce((s, v, k) => s + v * g[k], 0)] },
  { name: 'layerNormalize', op: normalizeP, inputs: 1, attrs: (length) => ({ eps, length }), stats: ([x]) => moments(x) },
  {
    name: 'layerNormGrad',
    op: normalizeGradP,
    inputs: 2,
    attrs: (length) => ({ eps, length }),
    stats: ([x, g]) => {
      const [m, r] = moments(x);
      return [m, r, mean(g), mean(g.map((v, k) => v * (x[k] - m) * r))];
    },
  },
];

/** Max |ours - ref| / (atol + rtol |ref|) over the values: <= 1 passes. */
function worst(values: Float32Array, ref: readonly number[], atol: number, rtol: number): number {
  return ref.reduce((w, r, k) => Math.max(w, Math.abs(values[k] - r) / (atol + rtol * Math.abs(r))), values.length === ref.length ? 0 : Infinity);
}

/** Rows of `length` along axis 1 of [outer, length, inner]: the statistics of our kernel and gpu.js's, and float64's. */
async function statsOf(be: WebgpuBackend, rule: RuleCase, outer: number, length: number, inner: number) {
  const shape = inner === 1 ? [outer, length] : [outer, length, inner];
  const size = outer * length * inner;
  // logits wide enough that the max shift matters; softmaxGrad's y positive like probabilities
  const data = Array.from({ length: rule.inputs }, (_, k) => randomArray(size, 11 * length + k, k ? -1 : -6, 6).map(Math.fround));
  const inputs = data.map((d) => sv.fromTypedArray(d, shape) as Tensor);
  const storage: Storage[] = await Promise.all(data.map((d) => be.upload(Float32Array.from(d))));
  const kernel = rowStatsKernel(rowsOf(rule.op)!, shape, rule.attrs(length), (k, index, into) => `const ${into} = buf${k}[${index}];`, {
    inputs,
    members: new Set(),
    reads: inputs,
  });
  const spec = rowStatsWgsl(kernel, be.wgslLimits);
  if (!spec) throw new Error(`no WGSL kernel for ${rule.name} over rows of ${length}`);
  const oursOut = await be.runWgsl(spec, storage);
  const gpujsOut = await portableRowStats(kernel, inputs.map((_, k) => `buf${k}`))(be, storage);
  const [ours, gpujs] = [await be.read(oursOut), await be.read(gpujsOut)];
  for (const s of [...storage, oursOut, gpujsOut]) be.release(s);
  inputs.forEach((x) => x.dispose());
  const ref: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const rows = data.map((d) => Array.from({ length }, (_, l) => d[(o * length + l) * inner + i]));
      ref.push(...rule.stats(rows));
    }
  }
  return { ours, gpujs, ref, threads: spec.source.match(/@workgroup_size\((\d+)\)/)![1] };
}

const webgpuTest = backendsUnderTest.includes('webgpu') ? test.serial : test.skip;

// the ViT's rows: 17 and 65 tokens, 64, 128 and 384 dims; odd ones around the workgroup sizes
const lengths = [1, 3, 17, 64, 65, 128, 257, 384, 1025];

for (const rule of rules) {
  webgpuTest(`[webgpu] ${rule.name} row statistics, ours and gpu.js's, within 1e-5 + 1e-4 relative of float64 for rows of ${lengths.join(', ')}`, async (t) => {
    sv.setBackend('webgpu');
    const be = (await sv.backend()) as WebgpuBackend;
    for (const length of lengths) {
      const { ours, gpujs, ref, threads } = await statsOf(be, rule, 5, length, 1);
      const [w, g] = [worst(ours, ref, 1e-5, 1e-4), worst(gpujs, ref, 1e-5, 1e-4)];
      t.true(w <= 1, `ours, rows of ${length} (${threads} threads): ${w.toFixed(2)} of the tolerance`);
      t.true(g <= 1, `gpu.js, rows of ${length}: ${g.toFixed(2)} of the tolerance`);
    }
  });
}

webgpuTest('[webgpu] softmax statistics along a middle axis (rows 5 apart) and over more rows than one dispatch dimension holds', async (t) => {
  sv.setBackend('webgpu');
  const be = (await sv.backend()) as WebgpuBackend;
  for (const [outer, length, inner] of [
    [3, 65, 5],
    [2, 257, 3],
  ]) {
    const { ours, ref } = await statsOf(be, rules[0], outer, length, inner);
    t.true(worst(ours, ref, 1e-5, 1e-4) <= 1, `[${outer}, ${length}, ${inner}]`);
  }
  const rows = be.wgslLimits.maxComputeWorkgroupsPerDimension + 7;
  const { ours, ref } = await statsOf(be, rules[2], rows, 3, 1);
  t.true(worst(ours, ref, 1e-5, 1e-4) <= 1, `${rows} rows`);
});

/** The statistics of `row`, whose inputs' elementwise producers `members` run inside the kernel (fusion's groupRowStats), ours and gpu.js's. */
async function fusedStats(be: WebgpuBackend, row: Tensor, members: Tensor[], externals: Tensor[], values: Float32Array[]) {
  const { kernel, args, reads } = groupRowStats(row, { nodes: [...members, row], externals, rows: [row] });
  const spec = rowStatsWgsl(kernel, be.wgslLimits);
  if (!spec) throw new Error('no WGSL kernel for the fused statistics');
  const storage = await Promise.all(reads.map((t) => be.upload(values[externals.indexOf(t)])));
  const outs = [await be.runWgsl(spec, storage), await portableRowStats(kernel, args)(be, storage)];
  const [ours, gpujs] = [await be.read(outs[0]), await be.read(outs[1])];
  for (const s of [...storage, ...outs]) be.release(s);
  return { ours, gpujs };
}

webgpuTest('[webgpu] statistics with producers inside: softmax of scaled scores plus a broadcast bias, layerNormGrad of a gradient times the broadcast scale', async (t) => {
  sv.setBackend('webgpu');
  const be = (await sv.backend()) as WebgpuBackend;
  const [heads, tokens] = [3, 65];
  const x = randomArray(2 * heads * tokens * tokens, 5, -4, 4).map(Math.fround);
  const bias = randomArray(heads, 6).map(Math.fround);
  const [xt, bt] = [sv.fromTypedArray(x, [2, heads, tokens, tokens]), sv.fromTypedArray(bias, [heads, 1, 1])];
  const scaled = sv.mulScalar(xt, 0.7);
  const shifted = sv.add(scaled, bt);
  const soft = sv.softmax(shifted, -1);
  const a = await fusedStats(be, soft, [scaled, shifted], [xt, bt], [Float32Array.from(x), Float32Array.from(bias)]);
  const lse: number[] = [];
  for (let r = 0; r < 2 * heads * tokens; r++) {
    const v = Array.from({ length: tokens }, (_, l) => Math.fround(x[r * tokens + l] * Math.fround(0.7)) + bias[Math.floor(r / tokens) % heads]);
    lse.push(...rules[0].stats([v]));
  }
  t.true(worst(a.ours, lse, 1e-5, 1e-4) <= 1, `softmax: ours ${worst(a.ours, lse, 1e-5, 1e-4).toFixed(2)} of the tolerance`);
  t.true(worst(a.gpujs, lse, 1e-5, 1e-4) <= 1, 'softmax: gpu.js');

  const [n, e] = [7, 384];
  const xs = randomArray(n * e, 7, -2, 2).map(Math.fround);
  const g = randomArray(n * e, 8).map(Math.fround);
  const w = randomArray(e, 9).map(Math.fround);
  const [xn, gn, wn] = [sv.fromTypedArray(xs, [n, e]), sv.fromTypedArray(g, [n, e]), sv.fromTypedArray(w, [e])];
  const gw = sv.mul(gn, wn);
  const grad = sv.apply(normalizeGradP, [xn, gw], { eps, length: e });
  const b = await fusedStats(be, grad, [gw], [xn, gn, wn], [Float32Array.from(xs), Float32Array.from(g), Float32Array.from(w)]);
  const ref: number[] = [];
  for (let r = 0; r < n; r++) {
    const row = (d: Float64Array) => Array.from({ length: e }, (_, l) => d[r * e + l]);
    ref.push(...rules[3].stats([row(xs), row(g).map((v, l) => Math.fround(v * w[l]))]));
  }
  t.true(worst(b.ours, ref, 1e-5, 1e-4) <= 1, `layerNormGrad: ours ${worst(b.ours, ref, 1e-5, 1e-4).toFixed(2)} of the tolerance`);
  t.true(worst(b.gpujs, ref, 1e-5, 1e-4) <= 1, 'layerNormGrad: gpu.js');
  for (const u of [xt, bt, scaled, shifted, soft, xn, gn, wn, gw, grad]) u.dispose();
});

const softmaxRef = (v: number[]) => {
  const m = Math.max(...v);
  const e = v.map((x) => Math.exp(x - m));
  const s = e.reduce((p, x) => p + x, 0);
  return e.map((x) => x / s);
};
const layerNormRef = (x: Ref, w: Ref, b: Ref) =>
  alongAxis(x, x.shape.length - 1, (v) => {
    const [m, r] = moments(v);
    return v.map((y, k) => (y - m) * r * w.data[k] + b.data[k]);
  });

for (const shape of [
  [2, 65],
  [2, 3, 17],
  [1, 257],
]) {
  webgpuTest(`[webgpu] softmax over the last axis of [${shape}]: values vs float64, gradient vs finite differences`, async (t) => {
    sv.setBackend('webgpu');
    await checkOp(t, { inputs: [{ shape, lo: -4, hi: 4 }], ours: (x) => sv.softmax(x, -1), ref: (x) => alongAxis(x, shape.length - 1, softmaxRef) });
  });
}
for (const shape of [
  [3, 65],
  [2, 128],
  [1, 384],
]) {
  webgpuTest(`[webgpu] layerNorm over the last axis of [${shape}]: values vs float64, gradients vs finite differences`, async (t) => {
    sv.setBackend('webgpu');
    const e = shape[shape.length - 1];
    await checkOp(t, {
      inputs: [{ shape, lo: -2, hi: 2 }, { shape: [e] }, { shape: [e] }],
      ours: (x, w, b) => sv.layerNorm(x as Tensor<[number, number]>, w as Tensor<[number]>, b as Tensor<[number]>),
      ref: layerNormRef,
    });
  });
}
