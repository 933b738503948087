// webgpu's elementwise groups as our WGSL kernels (kernels/webgpu-elementwise.ts), on whichever
// WebGPU adapter this run has (Dawn on Mesa in Node; SwiftShader in Chromium, the page runs this
// file too), each against gpu.js's fused kernels (the fallback, backend.elementwiseKernels off) and
// float64: flat Adam, AdamW and SGD with momentum over odd sizes for several steps, each as one
// kernel with several results (fusion.ts fuseOutputs), eager and jitted; lengths 0, 1, odd, folded
// into a second dispatch dimension (a small limit, and the device's own); NaN and infinities as
// gpu.js gives them; a root read before the group's last root is never folded into it.
import test, { type ExecutionContext } from 'ava';
import * as sv from '../src/core.js';
import type { Tensor } from '../src/core.js';
import type { WebgpuBackend } from '../src/dsl/backend.js';
import { dispatchOf, elementwiseSource } from '../src/dsl/kernels/webgpu-elementwise.js';
import { adam, adamw, sgd, type Transform } from '../src/train/optim.js';
import { backendsUnderTest } from './support/backends.js';
import { randomArray, torchAdam as adamReference } from './support/reference.js';

const webgpuTest = backendsUnderTest.includes('webgpu') ? test.serial : test.skip;

async function webgpu(): Promise<WebgpuBackend> {
  sv.setBackend('webgpu');
  return (await sv.backend()) as WebgpuBackend;
}

/** Runs `fn` with our elementwise kernels on or off (gpu.js's), restoring the backend's choice. */
async function withKernels<T>(be: WebgpuBackend, on: boolean, fn: () => Promise<T>): Promise<T> {
  const switchable = be as { elementwiseKernels: boolean };
  const was = switchable.elementwiseKernels;
  switchable.elementwiseKernels = on;
  try {
    return await fn();
  } finally {
    switchable.elementwiseKernels = was;
  }
}

/** Same NaNs, same infinities, finite values within `rel` of each other. */
function sameFloats(t: ExecutionContext, ours: Float32Array, theirs: Float32Array, rel: number, what: string): void {
  t.is(ours.length, theirs.length, `${what}: length`);
  let bad = -1;
  for (let k = 0; k < theirs.length && bad < 0; k++) {
    const [a, b] = [ours[k], theirs[k]];
    const same = Number.isNaN(b) ? Number.isNaN(a) : Number.isFinite(b) ? Math.abs(a - b) <= rel * Math.abs(b) + 1e-37 : a === b;
    if (!same) bad = k;
  }
  t.true(bad < 0, `${what}: element ${bad}: ours ${ours[bad]}, gpu.js ${theirs[bad]}`);
}

// odd sizes: 1, a prime, one past a workgroup, and a vector over several workgroups
const shapes = [[1], [7], [5, 13], [65], [3, 337]];
const draw = (seed: number) => shapes.map((s, k) => Float32Array.from(randomArray(s.reduce((p, d) => p * d, 1), seed * 17 + k)));
const tree = (values: readonly Float32Array[]) => values.map((v, k) => sv.tensor(v, shapes[k]));

/** Parameters after `steps` flat updates (learning rate 0.01), and the profile's entries of the last step. */
async function train(opt: Transform<unknown>, steps: number) {
  let params = tree(draw(1));
  let state = opt.init(params);
  let entries: sv.ProfileEntry[] = [];
  for (let s = 1; s <= steps; s++) {
    const [updates, next] = opt.update(tree(draw(s + 1)), state, params, { count: s, learningRate: 0.01 });
    const newParams = sv.applyUpdates(params, updates);
    [, entries] = await sv.profile(() => Promise.all(newParams.map((p) => p.data())));
    sv.disposeTree([params, state, updates]);
    [params, state] = [newParams, next];
  }
  const out = await Promise.all(params.map((p) => p.data()));
  sv.disposeTree([params, state]);
  return { out, entries };
}

/** torch.optim.Adam / AdamW in float64 on the same draws. */
const torchAdam = (decoupled: boolean, wd: number, steps: number) => adamReference(draw, decoupled, wd, steps, 0.01);

/** torch.optim.SGD with momentum (buffer starting at the first gradient, as zero-initialized) in float64. */
function torchSgd(momentum: number, wd: number, steps: number, lr = 0.01): number[][] {
  const p = draw(1).map((a) => [...a]);
  const buf = p.map((a) => a.map(() => 0));
  for (let s = 1; s <= steps; s++) {
    draw(s + 1).forEach((g, k) =>
      g.forEach((gi, i) => {
        buf[k][i] = momentum * buf[k][i] + gi + wd * p[k][i];
        p[k][i] -= lr * buf[k][i];
      }),
    );
  }
  return p;
}

webgpuTest('[webgpu] flat adam, adamw and sgd with momentum: the new state and the update in one kernel with several results, equal to gpu.js\'s kernels and to torch in float64 over 4 steps', async (t) => {
  const be = await webgpu();
  // name, optimizer, torch's parameters after 4 steps, results of the update's kernel (its new state and the update)
  const cases: Array<[string, () => Transform<unknown>, () => number[][], number]> = [
    ['adam', () => adam({ weightDecay: 0.1 }), () => torchAdam(false, 0.1, 4), 3],
    ['adamw', () => adamw({ weightDecay: 0.05 }), () => torchAdam(true, 0.05, 4), 3],
    ['sgd', () => sgd({ momentum: 0.9, weightDecay: 0.01 }), () => torchSgd(0.9, 0.01, 4), 2],
  ];
  for (const [name, make, torch, results] of cases) {
    const ours = await withKernels(be, true, () => train(make(), 4));
    const theirs = await withKernels(be, false, () => train(make(), 4));
    // one kernel, run once a step
    const update = ours.entries.filter((e) => e.kernel.endsWith(`x${results}`));
    t.deepEqual(
      update.map((e) => e.calls),
      [1],
      `${name}: ${ours.entries.map((e) => `${e.kernel} ${e.calls}`).join(', ')}`,
    );
    ours.out.forEach((w, k) => sameFloats(t, w, theirs.out[k], 1e-6, `${name} w${k}, ours vs gpu.js`));
    const ref = torch();
    ours.out.forEach((w, k) => w.forEach((x, i) => Math.abs(x - ref[k][i]) <= 2e-6 + 2e-5 * Math.abs(ref[k][i]) || t.fail(`${name} w${k}[${i}]: ${x} vs torch ${ref[k][i]}`)));
  }
});

webgpuTest('[webgpu] a jitted flat adamw step (count and learning rate as tensors, bias corrections computed in the graph): ours equal to gpu.js\'s kernels and torch over 3 steps', async (t) => {
  const be = await webgpu();
  const run = (on: boolean) =>
    withKernels(be, on, async () => {
      const opt = adamw({ weightDecay: 0.05 });
      const step = sv.jit((params: Tensor[], grads: Tensor[], state: unknown[], count: Tensor<[]>, lr: Tensor<[]>) => {
        const [u, next] = opt.update(grads, state, params, { count, learningRate: lr });
        return { params: sv.applyUpdates(params, u), state: next };
      });
      let params: Tensor[] = tree(draw(1));
      let state = opt.init(params);
      for (let s = 1; s <= 3; s++) {
        const [grads, count, lr] = [tree(draw(s + 1)), sv.scalar(s), sv.scalar(0.01)];
        const out = await step(params, grads, state, count, lr);
        sv.disposeTree([params, state, grads, count, lr]);
        [params, state] = [out.params, out.state];
      }
      const values = await Promise.all(params.map((p) => p.data()));
      sv.disposeTree([params, state]);
      return values;
    });
  const [ours, theirs] = [await run(true), await run(false)];
  ours.forEach((w, k) => sameFloats(t, w, theirs[k], 1e-6, `w${k}, ours vs gpu.js`));
  const ref = torchAdam(true, 0.05, 3);
  ours.forEach((w, k) => w.forEach((x, i) => Math.abs(x - ref[k][i]) <= 2e-6 + 2e-5 * Math.abs(ref[k][i]) || t.fail(`w${k}[${i}]: ${x} vs torch ${ref[k][i]}`)));
});

/** x * 3 + b (b broadcast along the last axis) and its exp, as our kernel and gpu.js's, with float64. */
async function chain(be: WebgpuBackend, shape: number[]) {
  const size = shape.reduce((p, d) => p * d, 1);
  const last = shape[shape.length - 1] ?? 1;
  const x = Float32Array.from(randomArray(size, 3));
  const b = Float32Array.from(randomArray(last, 4));
  const run = () =>
    withKernels(be, true, async () => {
      const [xt, bt] = [sv.tensor(x, shape), sv.tensor(b, [last])];
      const y = sv.add(sv.mulScalar(xt, 3), bt);
      const z = sv.exp(y);
      const values = [await y.data(), await z.data()];
      sv.disposeTree([xt, bt, y, z]);
      return values;
    });
  const ours = await run();
  const ref = Array.from(x, (v, i) => Math.fround(v * 3) + b[i % last]);
  return { ours, ref };
}

webgpuTest('[webgpu] elementwise kernels over lengths 0, 1, odd and past one dispatch dimension (the device\'s limit), against float64', async (t) => {
  const be = await webgpu();
  const big = be.wgslLimits.maxComputeWorkgroupsPerDimension * 64 + 65;
  for (const shape of [[0], [1], [3, 7], [65], [1001], [big]]) {
    const { ours, ref } = await chain(be, shape);
    t.is(ours[0].length, ref.length, `[${shape}]`);
    const bad = ref.findIndex((r, i) => Math.abs(ours[0][i] - r) > 1e-6 * Math.abs(r) + 1e-7 || Math.abs(ours[1][i] - Math.exp(r)) > 1e-5 * Math.exp(r));
    t.is(bad, -1, `[${shape}] element ${bad}: ${ours[0][bad]}, exp ${ours[1][bad]} vs ${ref[bad]}`);
  }
});

webgpuTest('[webgpu] elementwise kernels fold their index into a second dispatch dimension: every element written once under a limit of 3 workgroups a dimension', async (t) => {
  const be = await webgpu();
  const limits = { ...be.wgslLimits, maxComputeWorkgroupsPerDimension: 3 };
  t.is(dispatchOf(64 * 9 + 1, limits), null, 'past two dimensions: no kernel of ours');
  for (const n of [1, 64 * 3 + 1, 64 * 9 - 5]) {
    const x = Float32Array.from(randomArray(n, 8));
    const [xt, lr, c] = [sv.tensor(x, [n]), sv.scalar(0.5), sv.scalar(-2)];
    // two results, the one-float externals packed into one buffer
    const y = sv.mul(xt, lr);
    const inner = sv.mul(y, c);
    const z = sv.add(inner, xt);
    const full = elementwiseSource([y, z], [y, inner, z], [xt, lr, c]);
    t.deepEqual(full.packed, n === 1 ? [0, 1, 2] : [1, 2]);
    const args = await Promise.all([x, Float32Array.of(0.5), Float32Array.of(-2)].map((v) => be.upload(v)));
    const outs = await be.runWgslResults({ source: full.source, length: n, workgroups: dispatchOf(n, limits)!, results: 2, packed: full.packed }, args);
    const [yv, zv] = [await be.read(outs[0]), await be.read(outs[1])];
    for (const s of [...args, ...outs]) be.release(s);
    const bad = [...x].findIndex((v, i) => yv[i] !== Math.fround(v * 0.5) || zv[i] !== Math.fround(Math.fround(yv[i] * -2) + v));
    t.is(bad, -1, `${n} elements, dispatch ${dispatchOf(n, limits)}: element ${bad}`);
    sv.disposeTree([xt, lr, c, y, z, inner]);
  }
});

const specials = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 0.5, -2.5, 3e38, -3e38, 1e-38, 88.8, -104, 7];
const unary: Array<[string, (x: Tensor) => Tensor]> = [
  ['relu', sv.relu], ['abs', sv.abs], ['sign', sv.sign], ['sqrt', sv.sqrt], ['rsqrt', sv.rsqrt], ['exp', sv.exp], ['log', sv.log], ['tanh', sv.tanh],
  ['sigmoid', sv.sigmoid], ['softplus', sv.softplus], ['gelu', sv.gelu], ['erf', sv.erf], ['log1p', sv.log1p], ['expm1', sv.expm1], ['reciprocal', sv.reciprocal],
  ['square', sv.square], ['sin', sv.sin], ['cos', sv.cos], ['clip', (x) => sv.clip(x, -1, 2)],
];
const binary: Array<[string, (x: Tensor, y: Tensor) => Tensor]> = [
  ['add', sv.add], ['sub', sv.sub], ['mul', sv.mul], ['div', sv.div], ['maximum', sv.maximum], ['minimum', sv.minimum], ['pow', sv.pow],
  ['where(x > y)', (x, y) => sv.where(sv.greater(x, y), x, y)], ['equal', sv.equal], ['lessEqual', sv.lessEqual],
];

webgpuTest('[webgpu] NaN, infinities and signed zeros through every elementwise op: ours as gpu.js\'s kernels give them', async (t) => {
  const be = await webgpu();
  const n = specials.length;
  const x = Float32Array.from({ length: n * n }, (_, i) => specials[Math.floor(i / n)]);
  const y = Float32Array.from({ length: n * n }, (_, i) => specials[i % n]);
  const results = (on: boolean) =>
    withKernels(be, on, async () => {
      const [xt, yt] = [sv.tensor(x, [n * n]), sv.tensor(y, [n * n])];
      const outs = [...unary.map(([, f]) => f(xt)), ...binary.map(([, f]) => f(xt, yt))];
      // a group with two results: exp(x) is read by a later group and kept
      const e = sv.exp(xt);
      const both = [e, sv.mul(e, yt)];
      const all = [...outs, ...both];
      const [, entries] = await sv.profile(() => sv.realize(all));
      const values = await Promise.all(all.map((o) => o.data()));
      sv.disposeTree([xt, yt, outs, both]);
      return { values, entries };
    });
  const [{ values: ours, entries }, { values: theirs }] = [await results(true), await results(false)];
  t.true(entries.some((e) => e.kernel === 'fused(exp+mul)x2'), entries.map((e) => e.kernel).join(', '));
  [...unary, ...binary, ['exp (a result)'], ['exp(x) * y (a result)']].forEach(([name], k) => sameFloats(t, ours[k], theirs[k], 1e-6, String(name)));
});

webgpuTest('[webgpu] a root read by another kernel before the group\'s last root stays a kernel of its own (no cycle): a = 2x, b = a + sum(a)', async (t) => {
  const be = await webgpu();
  const x = Float32Array.from(randomArray(37, 12));
  const [xt] = [sv.tensor(x, [37])];
  const a = sv.mulScalar(xt, 2);
  const b = sv.add(a, sv.sum(a));
  const [[av, bv], entries] = await withKernels(be, true, () => sv.profile(() => Promise.all([a.data(), b.data()])));
  const total = x.reduce((s, v) => s + 2 * v, 0);
  t.is(entries.filter((e) => /x\d+$/.test(e.kernel)).length, 0, entries.map((e) => e.kernel).join(', '));
  t.true([...x].every((v, i) => av[i] === 2 * v && Math.abs(bv[i] - (2 * v + total)) <= 1e-5 * (1 + Math.abs(total))));
  sv.disposeTree([xt, a, b]);
});
