// jit: results equal the un-jitted function's on every backend, one compilation per input
// signature, per-call values stay inputs, memory stays flat over 1,000 jitted steps, and misuse is
// an error that names it.
import test from 'ava';
import * as sv from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { backendsUnderTest, eachBackend } from './support/backends.js';
import { checkVitSteps } from './support/vit-steps.js';
import { held, memoryOver1000Steps } from './support/flat-memory.js';

interface Mlp {
  readonly w1: Tensor<[2, 16]>;
  readonly b1: Tensor<[16]>;
  readonly w2: Tensor<[16, 3]>;
  readonly b2: Tensor<[3]>;
}

const initMlp = (): Mlp => ({
  w1: sv.randn([2, 16], { seed: 1 }),
  b1: sv.zeros([16]),
  w2: sv.randn([16, 3], { seed: 2 }),
  b2: sv.zeros([3]),
});

const logits = <B extends number>(p: Mlp, x: Tensor<[B, 2]>) => sv.add(sv.matmul(sv.tanh(sv.add(sv.matmul(x, p.w1), p.b1)), p.w2), p.b2);
const lossOf = <B extends number>(p: Mlp, x: Tensor<[B, 2]>, y: Tensor<[B]>) => sv.mean(sv.crossEntropy(logits(p, x), y, 0.1));

function batch(n: number, seed: number) {
  const rand = sv.generator(seed);
  const x = Float32Array.from({ length: 2 * n }, () => rand() * 4 - 2);
  const y = Float32Array.from({ length: n }, (_, i) => (x[2 * i] > 0 ? 1 : 0) + (x[2 * i + 1] > 1 ? 1 : 0));
  return { x: sv.fromTypedArray(x, [n, 2]), y: sv.fromTypedArray(y, [n]) };
}

const optimizer = sv.optim.adam({ weightDecay: 1e-4 });

/** One Adam step with per-call count, learning rate and dropout seed as scalar tensors. */
const step = <B extends number>(params: Mlp, opt: unknown[], x: Tensor<[B, 2]>, y: Tensor<[B]>, at: { count: Tensor<[]>; lr: Tensor<[]>; seed: Tensor<[]> }) => {
  const [loss, grads] = sv.valueAndGrad((p: Mlp) => lossOf(p, sv.dropout(x, 0.2, { base: at.seed, offset: 3 }), y))(params);
  const [updates, next] = optimizer.update(grads, opt, params, { count: at.count, learningRate: at.lr });
  return { loss, params: sv.optim.applyUpdates(params, updates), opt: next };
};

async function start() {
  const params = initMlp();
  const opt = optimizer.init(params);
  await sv.realize([...sv.tensorsIn(params), ...sv.tensorsIn(opt)]);
  return { params, opt };
}

const perCall = (s: number) => ({ count: sv.scalar(s), lr: sv.scalar(0.05 / s), seed: sv.scalar(1000 + s) });

eachBackend('a jitted Adam step with dropout equals the same step evaluated eagerly, over 5 steps', async (t) => {
  const jitted = sv.jit(step);
  let [a, b] = [await start(), await start()];
  const { x, y } = batch(24, 7);
  for (let s = 1; s <= 5; s++) {
    const at = perCall(s);
    const viaJit = await jitted(a.params, a.opt, x, y, at);
    const eager = step(b.params, b.opt, x, y, at);
    await sv.realize(sv.tensorsIn(eager));
    const [lj, le] = [(await viaJit.loss.data())[0], (await eager.loss.data())[0]];
    t.true(Math.abs(lj - le) <= 1e-6 * Math.abs(le), `step ${s}: loss ${lj} vs ${le}`);
    for (const [[path, pj], [, pe]] of sv.treeLeaves(viaJit.params).map((e, k) => [e, sv.treeLeaves(eager.params)[k]] as const)) {
      const [vj, ve] = [await pj.data(), await pe.data()];
      const worst = Math.max(...vj.map((v, k) => Math.abs(v - ve[k])));
      t.true(worst <= 1e-5, `step ${s}: ${path} differs by ${worst}`);
    }
    sv.disposeTree([a, b, at, viaJit.loss, eager.loss]);
    a = { params: viaJit.params, opt: viaJit.opt };
    b = { params: eager.params, opt: eager.opt };
  }
  t.is(jitted.compilations, 1);
  sv.disposeTree([a, b, x, y]);
  jitted.dispose();
});

eachBackend('a plan of gpu.js kernels runs as one fused pipeline where asked or preferred; a result stays intact after the next call', async (t, backend) => {
  const body = (x: Tensor<[64]>, y: Tensor<[64]>) => sv.logSoftmax(sv.add(sv.mul(x, y), sv.exp(x)), 0);
  const [f, auto] = [sv.jit(body, { executor: 'pipeline' }), sv.jit(body)];
  const x = sv.fromTypedArray(Float32Array.from({ length: 64 }, (_, i) => Math.sin(i)), [64]);
  const first = await f(x, sv.full([64], 2));
  const kept = Array.from(await first.data());
  const second = await f(x, sv.full([64], -1));
  const expected = body(x, sv.full([64], 2));
  t.deepEqual(Array.from(await first.data()), kept);
  const worst = Math.max(...(await expected.data()).map((v, i) => Math.abs(v - kept[i])));
  t.true(worst < 1e-6, `differs from eager by ${worst}`);
  const [entry] = f.entries;
  // fused where the backend has a fused executor (webasm: threaded or sync); gpu.js's reference executor on cpu
  t.regex(entry.executorKind ?? '', { webgpu: /^fused-encoder$/, headlessgl: /^generic$/, webasm: /^fused-(threaded|sync)$/, cpu: /^generic$/ }[backend]);
  if (entry.executorKind?.startsWith('fused')) t.is(entry.fallbackReason, null);
  // 'auto' records it only where the backend prefers pipelines (not WebGPU: Backend.jitPipelines)
  const byAuto = await auto(x, sv.full([64], 2));
  t.deepEqual(Array.from(await byAuto.data()), kept);
  if ((await sv.backend()).jitPipelines) t.is(auto.entries[0].executorKind, entry.executorKind);
  else t.like(auto.entries[0], { executorKind: 'cached', fallbackReason: `on ${(await sv.backend()).description} the backend's own kernels run one by one (faster, or keeping state on the device)` });
  sv.disposeTree([x, first, second, expected, byAuto]);
  f.dispose();
  auto.dispose();
});

test.serial('a plan with a backend\'s own kernel (webasm\'s matmul) replays kernel by kernel and says why', async (t) => {
  if (!backendsUnderTest.includes('webasm')) return t.pass('webasm is not under test');
  sv.setBackend('webasm');
  const f = sv.jit((a: Tensor<[4, 3]>, b: Tensor<[3, 2]>) => sv.matmul(a, b));
  const out = await f(sv.ones([4, 3]), sv.ones([3, 2]));
  t.deepEqual(Array.from(await out.data()), new Array(8).fill(3));
  t.like(f.entries[0], { executorKind: 'cached', fallbackReason: "matmul runs the backend's own code, which a gpu.js pipeline cannot record" });
  out.dispose();
  f.dispose();
});

test.serial('one compilation per input signature: same shapes replay, a new batch size or static value compiles', async (t) => {
  sv.setBackend(backendsUnderTest[0]);
  const f = sv.jit((x: Tensor<[number, 2]>, k: number) => sv.mulScalar(x, k));
  const run = async (x: Tensor<[number, 2]>, k: number) => {
    const out = await f(x, k);
    const v = Array.from(await out.data());
    out.dispose();
    return v;
  };
  const x4 = sv.tensor([1, 2, 3, 4, 5, 6, 7, 8], [4, 2]);
  t.deepEqual(await run(x4, 2), [2, 4, 6, 8, 10, 12, 14, 16]);
  t.deepEqual(await run(sv.tensor([0, 1, 0, 1, 0, 1, 0, 1], [4, 2]), 2), [0, 2, 0, 2, 0, 2, 0, 2]);
  t.is(f.compilations, 1);
  t.deepEqual(await run(sv.tensor([1, 1], [1, 2]), 2), [2, 2]);
  t.is(f.compilations, 2);
  t.deepEqual(await run(x4, 3), [3, 6, 9, 12, 15, 18, 21, 24]);
  t.is(f.compilations, 3);
  t.deepEqual(f.entries.map((e) => e.signature.replace(/^\w+:/, '')), ['[T[4,2],2]', '[T[1,2],2]', '[T[4,2],3]']);
  // concurrent first calls with one new signature share one compilation
  const [p, q] = await Promise.all([f(sv.ones([2, 2]), 5), f(sv.ones([2, 2]), 5)]);
  t.deepEqual([...(await p.data()), ...(await q.data())], new Array(8).fill(5));
  t.is(f.compilations, 4);
  sv.disposeTree([p, q]);
  f.dispose();
});

test.serial('per-call values are inputs: a learning rate and a dropout seed given as tensors are never frozen', async (t) => {
  sv.setBackend(backendsUnderTest[0]);
  const x = sv.ones([64]);
  const f = sv.jit((v: Tensor<[64]>, lr: Tensor<[]>, seed: Tensor<[]>) => ({ scaled: sv.mul(v, lr), dropped: sv.dropout(v, 0.5, { base: seed, offset: 0 }) }));
  const masks: number[][] = [];
  for (const [lr, seed] of [[0.5, 11], [2, 12], [0.5, 11]]) {
    const out = await f(x, sv.scalar(lr), sv.scalar(seed));
    t.deepEqual(Array.from(await out.scaled.data()), new Array(64).fill(lr));
    masks.push(Array.from(await out.dropped.data()));
    // the same seed as a number gives the same mask
    t.deepEqual(masks.at(-1), Array.from(await sv.dropout(x, 0.5, seed).data()));
    sv.disposeTree(out);
  }
  t.notDeepEqual(masks[0], masks[1]);
  t.deepEqual(masks[0], masks[2]);
  t.is(f.compilations, 1);
  f.dispose();
  x.dispose();
});

test.serial('closed-over tensors and constants made inside f: bound per call, uploaded once, released by dispose', async (t) => {
  sv.setBackend(backendsUnderTest[0]);
  const w = sv.tensor([1, 2, 3], [3]);
  await sv.realize([w]);
  const before = await sv.memory();
  const f = sv.jit((x: Tensor<[3]>) => sv.add(sv.mul(x, w), sv.tensor([10, 20, 30], [3])));
  for (let k = 0; k < 3; k++) {
    const x = sv.full([3], k);
    const out = await f(x);
    t.deepEqual(Array.from(await out.data()), [10 + k, 20 + 2 * k, 30 + 3 * k]);
    sv.disposeTree([x, out]);
  }
  // the constant [10, 20, 30] lives as long as the function
  t.is((await sv.memory()).buffers, before.buffers + 1);
  f.dispose();
  t.deepEqual(held(await sv.memory()), held(before));
  w.dispose();
  await t.throwsAsync(() => f(sv.zeros([3])), { message: /was disposed/ });
});

test.serial('1,000 jitted Adam steps leave device and host memory flat', async (t) => {
  sv.setBackend(backendsUnderTest.includes('webasm') ? 'webasm' : backendsUnderTest[0]);
  const jitted = sv.jit(step);
  const { x, y } = batch(32, 3);
  await sv.realize([x, y]);
  let state = await start();
  const { baseline, end, heapGrowth } = await memoryOver1000Steps(async (s) => {
    const at = perCall(s);
    const out = await jitted(state.params, state.opt, x, y, at);
    sv.disposeTree([state, at, out.loss]);
    state = { params: out.params, opt: out.opt };
  });
  t.deepEqual(end, baseline);
  t.true(heapGrowth < 8 * 1024 * 1024, `host heap grew ${(heapGrowth / 1048576).toFixed(1)} MiB over 900 steps`);
  t.is(jitted.compilations, 1);
  sv.disposeTree([state, x, y]);
  jitted.dispose();
});

test.serial('misuse is an error that names it', async (t) => {
  sv.setBackend(backendsUnderTest[0]);
  const x = sv.ones([2]);
  await t.throwsAsync(() => sv.jit(async (v: Tensor<[2]>) => v)(x), { message: /returned a promise; f must build its result synchronously/ });
  await t.throwsAsync(() => sv.jit((v: Tensor<[2]>, g: () => number) => sv.mulScalar(v, g()))(x, () => 2), { message: /argument args\[1\] is a function/ });
  // Only object literals are spelled into the cache key: a class instance or a Map (whose fields
  // or entries the key could not see) is refused, though a pytree walk would take it as a record.
  class Box {
    constructor(readonly v: Tensor<[2]>) {}
  }
  const notPlain = /argument args\[0\] is an object that is neither a tensor, an array nor a plain record/;
  await t.throwsAsync(() => sv.jit((b: Box) => sv.neg(b.v))(new Box(x)), { message: notPlain });
  await t.throwsAsync(() => sv.jit((m: Map<string, Tensor<[2]>>) => sv.neg(m.get('v')!))(new Map([['v', x]])), { message: notPlain });
  const y = sv.ones([2]);
  y.dispose();
  await t.throwsAsync(() => sv.jit((v: Tensor<[2]>) => sv.neg(v))(y), { message: /which was disposed/ });
  x.dispose();
});

eachBackend(`the ViT trainStep (jitted) equals jit: false over 3 steps with dropout 0.1, and evalStep too`, (t) => checkVitSteps(t, 0.1, 'auto'));
