// Evaluations reuse the plan of an earlier graph of the same structure (plan-cache.ts), on every
// backend: a reused plan computes the new graph's values (its uploads, its bound tensors) exactly
// as a fresh one, against float64 references; graphs that differ in an attribute, a shape, which
// input an op reads or which tensors are realized get plans of their own; attributes that are not
// plain data (functions, class instances) are never cached. (Tensors have one dtype, float32.)
import test from 'ava';
import * as sv from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { planCacheHits } from '../src/dsl/plan-cache.js';
import { attrsKey, attrsSnapshot, sameAttrs } from '../src/dsl/attrs-key.js';
import { eachBackend } from './support/backends.js';

const close = (got: ArrayLike<number>, want: readonly number[], tol = 1e-4) =>
  want.every((w, k) => Math.abs(got[k] - w) <= tol * (1 + Math.abs(w)));

/** Hits of one call of `work`. */
async function hitsOf(work: () => Promise<unknown>): Promise<number> {
  const before = planCacheHits();
  await work();
  return planCacheHits() - before;
}

const tanhLayer = (x: Tensor, w: Tensor, b: Tensor) => sv.sum(sv.tanh(sv.add(sv.matmul(x as Tensor<[3, 4]>, w as Tensor<[4, 2]>), b as Tensor<[2]>)));

/** sum(tanh(x w + b)) and its gradient in w, in float64. */
function tanhLayerRef(x: readonly number[], w: readonly number[], b: readonly number[]) {
  let value = 0;
  const dw = new Array<number>(8).fill(0);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 2; j++) {
      let z = b[j];
      for (let k = 0; k < 4; k++) z += x[i * 4 + k] * w[k * 2 + j];
      const h = Math.tanh(z);
      value += h;
      for (let k = 0; k < 4; k++) dw[k * 2 + j] += x[i * 4 + k] * (1 - h * h);
    }
  }
  return { value, dw };
}

eachBackend('the natural loop reuses its plan from the second step on, each step with its own data', async (t) => {
  const w0 = Array.from({ length: 8 }, (_, k) => Math.sin(k + 1) * 0.6);
  const b = [0.1, -0.2];
  let w: Tensor = sv.tensor(w0, [4, 2]);
  const bias = sv.tensor(b, [2]);
  await sv.realize([w, bias]);
  let host = w0;
  for (let step = 0; step < 4; step++) {
    const xs = Array.from({ length: 12 }, (_, k) => Math.cos(k * 0.7 + step));
    // a host leaf made each step: the reused plan must upload this step's values
    const x = sv.constant(Float32Array.from(xs), [3, 4]);
    const [value, grad] = sv.valueAndGrad((p: Tensor) => tanhLayer(x, p, bias))(w);
    const next = sv.sub(w, sv.mulScalar(grad, 0.1));
    let got: ArrayLike<number> = [];
    const hits = await hitsOf(async () => (got = await value.data()));
    t.is(hits, step === 0 ? 0 : 1, `step ${step}: plan reuse`);
    const ref = tanhLayerRef(xs, host, b);
    t.true(close(got, [ref.value]), `step ${step}: loss ${got[0]} vs ${ref.value}`);
    // the new weights were a pending sibling of the loss: computed by that evaluation
    const nextValues = await next.data();
    host = host.map((v, k) => v - 0.1 * ref.dw[k]);
    t.true(close(nextValues, host), `step ${step}: updated weights`);
    w.dispose();
    value.dispose();
    w = next;
  }
  sv.disposeTree([w, bias]);
});

eachBackend('graphs that differ only in an attribute, a shape or what is realized get plans of their own', async (t) => {
  const x = sv.tensor([1, -2, 3, 0.5], [4]);
  await sv.realize([x]);
  const xs = [1, -2, 3, 0.5];
  const scaled = (v: Tensor, k: number) => sv.exp(sv.mulScalar(v, k));
  // the third repeats the first's structure; the second differs in mulScalar's factor
  for (const [k, reused] of [[2, 0], [3, 0], [2, 1]]) {
    let got: ArrayLike<number> = [];
    const hits = await hitsOf(async () => (got = await scaled(x, k).data()));
    t.true(close(got, xs.map((v) => Math.exp(v * k))), `mulScalar ${k}: ${got}`);
    t.is(hits, reused, `mulScalar ${k}: plan reuse`);
  }
  // one op alone, over two realized tensors (the elementwise kernel of a single node)
  const x2 = sv.tensor([4, 3, 2, 1], [4]);
  await sv.realize([x2]);
  for (const reused of [0, 1]) {
    let got: ArrayLike<number> = [];
    t.is(await hitsOf(async () => (got = await sv.sub(x2, x).data())), reused);
    t.deepEqual(Array.from(got), [3, 5, -1, 0.5]);
  }
  // another shape
  const y = sv.tensor([1, 2, 3, 4, 5, 6], [6]);
  await sv.realize([y]);
  let got: ArrayLike<number> = [];
  t.is(await hitsOf(async () => (got = await scaled(y, 2).data())), 0);
  t.true(close(got, [1, 2, 3, 4, 5, 6].map((v) => Math.exp(2 * v))));
  // the same ops over a host leaf (uploaded, then kept) instead of a realized tensor
  const leaf = sv.tensor([0.5, 1, 1.5, 2], [4]);
  t.is(await hitsOf(async () => (got = await scaled(leaf, 2).data())), 0);
  t.true(close(got, [1, 2, 3, 4].map(Math.exp)));
  sv.disposeTree([x, x2, y, leaf]);
});

class Factor {
  constructor(readonly value: number) {}
}
const scaleBy = sv.definePrimitive<Factor>({
  name: 'test.planCache.scaleBy',
  shape: ([s]) => s,
  lowering: { arith: (m, [x], factor) => m.mul(x, m.const(factor.value)) },
});

eachBackend('a graph whose attributes hold an object that is not plain data is planned afresh each time', async (t) => {
  const x = sv.tensor([1, 2, 3], [3]);
  await sv.realize([x]);
  for (const factor of [2, 5, 2]) {
    let got: ArrayLike<number> = [];
    const hits = await hitsOf(async () => (got = await sv.apply<[3]>(scaleBy, [x], new Factor(factor)).data()));
    t.is(hits, 0);
    t.deepEqual(Array.from(got), [1, 2, 3].map((v) => v * factor));
  }
  x.dispose();
});

// an attribute that is a function: the plan (its kernel) must never be shared, not even for the same function
const mapConst = sv.definePrimitive<{ readonly f: () => number }>({
  name: 'test.planCache.mapConst',
  shape: ([s]) => s,
  lowering: { arith: (m, [x], { f }) => m.mul(x, m.const(f())) },
});

eachBackend('a graph whose attribute is a function is planned afresh each time', async (t) => {
  const x = sv.tensor([1, 2, 3], [3]);
  await sv.realize([x]);
  const three = () => 3;
  for (const [f, factor] of [[() => 2, 2], [() => 5, 5], [three, 3], [three, 3]] as const) {
    let got: ArrayLike<number> = [];
    t.is(await hitsOf(async () => (got = await sv.apply<[3]>(mapConst, [x], { f }).data())), 0);
    t.deepEqual(Array.from(got), [1, 2, 3].map((v) => v * factor));
  }
  x.dispose();
});

eachBackend('graphs that differ only in which input an op reads, or in a kept or transient host leaf, get plans of their own', async (t) => {
  const a = sv.tensor([1, 2, 3], [3]);
  const b = sv.tensor([10, 20, 30], [3]);
  await sv.realize([a, b]);
  // sub(a, b), sub(b, a), sub(a, a): the same ops, shapes and bound leaves, read differently
  const cases: Array<[Tensor, Tensor, number[]]> = [[a, b, [-9, -18, -27]], [b, a, [9, 18, 27]], [a, a, [0, 0, 0]], [a, b, [-9, -18, -27]]];
  const reuses: number[] = [];
  for (const [x, y, want] of cases) {
    let got: ArrayLike<number> = [];
    reuses.push(await hitsOf(async () => (got = await sv.exp(sv.mulScalar(sv.sub(x, y), 0.01)).data())));
    t.true(close(got, want.map((v) => Math.exp(v * 0.01))), `${got}`);
  }
  // sub(b, a) is sub(a, b) with its leaves swapped (the same plan, bound to the other tensors);
  // sub(a, a) reads one leaf twice: a plan of its own
  t.deepEqual(reuses, [0, 1, 0, 1]);
  // a·b - a and a·b - b: the same nodes, kinds and shapes; the last op reads another leaf
  const wired: number[] = [];
  for (const [y, want] of [[a, [9, 38, 87]], [b, [0, 20, 60]], [a, [9, 38, 87]]] as const) {
    let got: ArrayLike<number> = [];
    wired.push(await hitsOf(async () => (got = await sv.sub(sv.mul(a, b), y).data())));
    t.deepEqual(Array.from(got), want);
  }
  t.deepEqual(wired, [0, 0, 1]);
  // a kept host leaf (tensor) and a transient one (constant) of the same values and shape
  let got: ArrayLike<number> = [];
  t.is(await hitsOf(async () => (got = await sv.mulScalar(sv.tensor([1, 2], [2]), 3).data())), 0);
  t.deepEqual(Array.from(got), [3, 6]);
  t.is(await hitsOf(async () => (got = await sv.mulScalar(sv.constant(Float32Array.of(4, 5), [2]), 3).data())), 0);
  t.deepEqual(Array.from(got), [12, 15]);
  t.is(await hitsOf(async () => (got = await sv.mulScalar(sv.constant(Float32Array.of(6, 7), [2]), 3).data())), 1);
  t.deepEqual(Array.from(got), [18, 21]);
  sv.disposeTree([a, b]);
});

test('attributes compare equal exactly when their key text is equal, and only for plain data', (t) => {
  class Box {
    constructor(readonly v: number) {}
  }
  const f = () => 1;
  const values: unknown[] = [
    undefined, null, 0, -0, 1, NaN, Infinity, '1', '', 'a', true, false, [], {}, [1, 2], [2, 1], [1, [2]], [[1], 2], { a: 1 }, { a: 1, b: 2 }, { b: 2, a: 1 },
    { a: undefined }, { a: [1, { b: -0 }] }, { a: [1, { b: 0 }] }, { '0': 1 }, [1], { a: '1' }, Object.assign(Object.create(null), { a: 1 }),
    f, { f }, [f], new Box(1), { box: new Box(1) }, new Float32Array(2), 1n,
  ];
  for (const x of values) {
    for (const y of values) {
      const same = attrsKey(x) !== null && attrsKey(x) === attrsKey(y);
      t.is(sameAttrs(attrsSnapshot(x), y), same, `${String(attrsKey(x))} vs ${String(attrsKey(y))}`);
    }
  }
  // a snapshot does not follow later changes to the value it was taken of
  const attrs = { axes: [0, 1], keep: true };
  const snapshot = attrsSnapshot(attrs);
  attrs.axes[1] = 2;
  t.false(sameAttrs(snapshot, attrs));
  t.true(sameAttrs(snapshot, { axes: [0, 1], keep: true }));
});
