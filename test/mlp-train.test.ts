// End to end: a 2-layer MLP trained with a hand-written SGD step, on every backend; memory stays flat.
import test from 'ava';
import * as sv from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { backendsUnderTest } from './support/backends.js';
import { held, memoryOver1000Steps } from './support/flat-memory.js';

type Mlp = { w1: Tensor; b1: Tensor; w2: Tensor; b2: Tensor };

// three Gaussian blobs in 2-D, fixed by seed
function problem(n: number) {
  const rand = sv.generator(42);
  const centers = [[2, 0], [-1, 1.7], [-1, -1.7]];
  const x = new Float32Array(n * 2);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    y[i] = c;
    x[2 * i] = centers[c][0] + (rand() - 0.5) * 1.5;
    x[2 * i + 1] = centers[c][1] + (rand() - 0.5) * 1.5;
  }
  return { x, y };
}

const forward = (p: Mlp, x: Tensor) => {
  const h = sv.tanh(sv.add(sv.matmul(x, p.w1 as never) as Tensor, p.b1 as never) as Tensor);
  return sv.add(sv.matmul(h, p.w2 as never) as Tensor, p.b2 as never) as Tensor<[number, number]>;
};
const loss = (p: Mlp, x: Tensor, y: Tensor<[number]>) => sv.mean(sv.crossEntropy(forward(p, x), y as never), 0);

function initMlp(): Mlp {
  return {
    w1: sv.mulScalar(sv.randn([2, 16], { seed: 1 }), 0.5),
    b1: sv.zeros([16]),
    w2: sv.mulScalar(sv.randn([16, 3], { seed: 2 }), 0.5),
    b2: sv.zeros([3]),
  };
}

/** One SGD step; returns the loss before the step and the new parameters (old ones disposed). */
async function sgdStep(p: Mlp, x: Tensor, y: Tensor<[number]>, lr: number): Promise<[number, Mlp]> {
  const [value, grads] = sv.valueAndGrad(loss)(p, x, y);
  const next = sv.mapTree(p, (t) => t) as Mlp;
  for (const k of Object.keys(p) as Array<keyof Mlp>) next[k] = sv.sub(p[k], sv.mulScalar(grads[k], lr) as never) as Tensor;
  await sv.realize([value, ...Object.values(next)]);
  const [l] = await value.data();
  value.dispose();
  sv.disposeTree(p);
  return [l, next];
}

async function train(steps: number): Promise<number[]> {
  const { x, y } = problem(90);
  const xs = sv.fromTypedArray(x, [90, 2]);
  const ys = sv.fromTypedArray(y, [90]);
  let p = await materialize(initMlp);
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    const [l, next] = await sgdStep(p, xs, ys, 0.5);
    losses.push(l);
    p = next;
  }
  sv.disposeTree([p, xs, ys]);
  return losses;
}

/** Computes the parameters; tidy frees the random leaves they were made from. */
function materialize(make: () => Mlp): Promise<Mlp> {
  return sv.tidy(async () => {
    const p = make();
    await sv.realize(Object.values(p));
    return p;
  });
}

test.serial('a 2-layer MLP trains below loss 0.1 in 60 SGD steps, identically on every backend', async (t) => {
  const curves: Record<string, number[]> = {};
  for (const name of backendsUnderTest) {
    sv.setBackend(name);
    curves[name] = await train(60);
    const last = curves[name].at(-1)!;
    t.true(last < 0.1, `${name}: final loss ${last}`);
    t.true(curves[name][0] > 0.5, `${name}: initial loss ${curves[name][0]}`);
  }
  const [first, ...others] = Object.keys(curves);
  for (const name of others) {
    const worst = Math.max(...curves[name].map((l, s) => Math.abs(l - curves[first][s])));
    t.true(worst < 1e-4, `${name} vs ${first}: losses differ by up to ${worst}`);
  }
});

test.serial('1,000 forward+backward steps leave device and host memory flat', async (t) => {
  const name = backendsUnderTest.includes('webasm') ? 'webasm' : backendsUnderTest[0];
  sv.setBackend(name);
  const { x, y } = problem(90);
  const xs = sv.fromTypedArray(x, [90, 2]);
  const ys = sv.fromTypedArray(y, [90]);
  let p = await materialize(initMlp);
  const { baseline, end, heapGrowth } = await memoryOver1000Steps(async () => {
    [, p] = await sgdStep(p, xs, ys, 0.1);
  });
  t.deepEqual(end, baseline, `device memory after 100 steps ${JSON.stringify(baseline)}, after 1000 ${JSON.stringify(end)}`);
  t.true(heapGrowth < 8 * 1024 * 1024, `host heap grew ${(heapGrowth / 1048576).toFixed(1)} MiB over 900 steps (${name})`);
  t.log(`${name}: device ${end.buffers} buffers / ${end.bytes} bytes held, host heap growth ${(heapGrowth / 1048576).toFixed(2)} MiB`);
  sv.disposeTree([p, xs, ys]);
  t.deepEqual(held(await sv.memory()), { buffers: 0, bytes: 0 });
});

/** The loop a user writes first: update with tensor ops, read the loss with data(), no realize. */
/** The natural-loop tests' data, on webasm when present (the backend the bench compares). */
async function naturalLoopData() {
  sv.setBackend(backendsUnderTest.includes('webasm') ? 'webasm' : backendsUnderTest[0]);
  const { x, y } = problem(90);
  const xs = sv.fromTypedArray(x, [90, 2]);
  const ys = sv.fromTypedArray(y, [90]);
  await sv.realize([xs, ys]);
  return { xs, ys };
}

/** Calls per kernel in a profile: equal maps mean the same work ran. */
const kernels = (entries: sv.ProfileEntry[]) => Object.fromEntries(entries.map((e) => [e.kernel, e.calls]));

async function naturalStep(p: Mlp, x: Tensor, y: Tensor<[number]>, lr: number): Promise<[number, Mlp]> {
  const [value, grads] = sv.valueAndGrad(loss)(p, x, y);
  const next = sv.mapTree(p, (t) => t) as Mlp;
  for (const k of Object.keys(p) as Array<keyof Mlp>) next[k] = sv.sub(p[k], sv.mulScalar(grads[k], lr) as never) as Tensor;
  const [l] = await value.data();
  value.dispose();
  sv.disposeTree(p);
  return [l, next];
}

test.serial('the natural loop (read the loss with data(), no realize) runs each step once: same kernels, losses and flat memory as realizing at once', async (t) => {
  const { xs, ys } = await naturalLoopData();
  let [pa, pb] = [await materialize(initMlp), await materialize(initMlp)];
  let baseline = { buffers: 0, bytes: 0 };
  for (let s = 0; s < 60; s++) {
    const [[la, nextA], atOnce] = await sv.profile(() => sgdStep(pa, xs, ys, 0.5));
    const [[lb, nextB], natural] = await sv.profile(() => naturalStep(pb, xs, ys, 0.5));
    [pa, pb] = [nextA, nextB];
    t.is(lb, la, `step ${s}: losses differ`);
    // the new parameters are computed with the loss (pending siblings), never again afterwards
    t.deepEqual(kernels(natural), kernels(atOnce), `step ${s}: kernels run differ`);
    if (s === 9) baseline = held(await sv.memory());
  }
  t.deepEqual(held(await sv.memory()), baseline);
  sv.disposeTree([pa, pb, xs, ys]);
  t.deepEqual(held(await sv.memory()), { buffers: 0, bytes: 0 });
});

test.serial('the natural loop with Adam: the optimizer state is kept with the new parameters (no recompute, no use of disposed state)', async (t) => {
  const { xs, ys } = await naturalLoopData();
  const optimizer = sv.optim.adam();
  const start = async () => {
    const params = await materialize(initMlp);
    const opt = optimizer.init(params);
    await sv.realize(sv.tensorsIn(opt));
    return { params, opt };
  };
  let [a, b] = [await start(), await start()];
  const baseline = await sv.memory();
  for (let s = 1; s <= 8; s++) {
    const step = async (st: typeof a, read: boolean) => {
      const [value, grads] = sv.valueAndGrad(loss)(st.params, xs, ys);
      const [updates, opt] = optimizer.update(grads, st.opt, st.params, { count: s, learningRate: 0.01 });
      const params = sv.optim.applyUpdates(st.params, updates);
      if (!read) await sv.realize([value, ...sv.tensorsIn(params), ...sv.tensorsIn(opt)]);
      const [l] = await value.data();
      value.dispose();
      sv.disposeTree([st.params, st.opt]);
      return [l, { params, opt }] as const;
    };
    const [[la, nextA], atOnce] = await sv.profile(() => step(a, false));
    const [[lb, nextB], natural] = await sv.profile(() => step(b, true));
    [a, b] = [nextA, nextB];
    t.is(lb, la, `step ${s}: losses differ`);
    t.deepEqual(kernels(natural), kernels(atOnce), `step ${s}: kernels run differ`);
  }
  t.deepEqual(held(await sv.memory()), held(baseline));
  sv.disposeTree([a, b, xs, ys]);
});
