// gather (numpy's take), takeAlongAxis and scatterAdd on every backend: forward against a float64
// reference, gradients against central finite differences (repeated indices, so the index-add
// accumulates), vmap against the op on each example, and a bad index (out of range, negative, not
// an integer) as an error naming it: at the call for host indices, at evaluation for computed ones,
// eagerly and under jit.
import test, { type ExecutionContext } from 'ava';
import * as sv from '../src/index.js';
import { addScalar, fromTypedArray, gather, grad, jit, mul, realize, scatterAdd, sum, takeAlongAxis, vmap, type Tensor } from '../src/index.js';
import { eachBackend } from './support/backends.js';
import { checkOp } from './support/op-check.js';
import { assertClose, forEachIndex, randomArray, sizeOf, strides, type Ref } from './support/reference.js';

type AnyOp = (...a: unknown[]) => Tensor;
const g = gather as unknown as AnyOp;
const tal = takeAlongAxis as unknown as AnyOp;
const sa = scatterAdd as unknown as AnyOp;
const norm = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

function gatherRef(x: Ref, idx: Ref, axis: number): Ref {
  const a = norm(axis, x.shape.length);
  const shape = [...x.shape.slice(0, a), ...idx.shape, ...x.shape.slice(a + 1)];
  const st = strides(x.shape);
  const data = new Float64Array(sizeOf(shape));
  forEachIndex(shape, (c, i) => {
    const j = idx.data[c.slice(a, a + idx.shape.length).reduce((s, v, k) => s + v * strides(idx.shape)[k], 0)];
    const at = [...c.slice(0, a), j, ...c.slice(a + idx.shape.length)];
    data[i] = x.data[at.reduce((s, v, k) => s + v * st[k], 0)];
  });
  return { shape, data };
}

/** numpy's take_along_axis in float64, the dims other than the axis broadcast. */
function takeAlongRef(x: Ref, idx: Ref, axis: number): Ref {
  const a = norm(axis, x.shape.length);
  const shape = x.shape.map((d, k) => (k === a || d === 1 ? idx.shape[k] : d));
  const [xs, is] = [strides(x.shape), strides(idx.shape)];
  const at = (dims: readonly number[], st: readonly number[], c: readonly number[]) => c.reduce((s, v, k) => s + (dims[k] === 1 ? 0 : v * st[k]), 0);
  const data = new Float64Array(sizeOf(shape));
  forEachIndex(shape, (c, i) => {
    const j = idx.data[at(idx.shape, is, c)];
    data[i] = x.data[at(x.shape, xs, c.map((v, k) => (k === a ? j : v)))];
  });
  return { shape, data };
}

function scatterAddRef(x: Ref, idx: Ref, updates: Ref, axis: number): Ref {
  const a = norm(axis, x.shape.length);
  const st = strides(x.shape);
  const data = Float64Array.from(x.data);
  forEachIndex(idx.shape, (c, i) => (data[c.reduce((s, v, k) => s + (k === a ? idx.data[i] : v) * st[k], 0)] += updates.data[i]));
  return { shape: x.shape, data };
}

/** Integer indices in [0, n), repeats likely. */
const indices = (count: number, n: number, seed: number) => Array.from(randomArray(count, seed, 0, n), Math.floor);

for (const [shape, idxShape, axis] of [
  [[5, 3], [4], 0],
  [[4, 5], [2, 3], 1],
  [[2, 3, 4], [], -1],
  [[2, 6, 3], [7], 1],
] as const) {
  eachBackend(`gather ${JSON.stringify(shape)} with indices ${JSON.stringify(idxShape)} along ${axis}`, async (t) => {
    const n = shape[norm(axis, shape.length)];
    await checkOp(t, {
      inputs: [{ shape }, { shape: idxShape, values: indices(sizeOf(idxShape), n, 7) }],
      ours: (x, i) => g(x, i, axis),
      ref: (x, i) => gatherRef(x, i, axis),
    });
  });
}

for (const [shape, idxShape, axis] of [
  [[3, 4], [3, 6], 1],
  [[2, 3, 4], [5, 3, 4], 0],
  [[2, 3, 4], [2, 3, 2], -1],
] as const) {
  eachBackend(`takeAlongAxis ${JSON.stringify(shape)} with indices ${JSON.stringify(idxShape)} along ${axis}`, async (t) => {
    const n = shape[norm(axis, shape.length)];
    await checkOp(t, {
      inputs: [{ shape }, { shape: idxShape, values: indices(sizeOf(idxShape), n, 8) }],
      ours: (x, i) => tal(x, i, axis),
      ref: (x, i) => takeAlongRef(x, i, axis),
    });
  });
  eachBackend(`scatterAdd into ${JSON.stringify(shape)} with indices ${JSON.stringify(idxShape)} along ${axis}`, async (t) => {
    const n = shape[norm(axis, shape.length)];
    const idx = indices(sizeOf(idxShape), n, 9);
    // indices are an input the op closes over: x and updates are both differentiated
    const fixed: Ref = { shape: idxShape, data: Float64Array.from(idx) };
    await checkOp(t, {
      inputs: [{ shape }, { shape: idxShape }],
      ours: (x, u) => sa(x, fromTypedArray(idx, idxShape), u, axis),
      ref: (x, u) => scatterAddRef(x, fixed, u, axis),
    });
  });
}

// numpy's broadcasting of the dims other than the axis: indices [1, K] pick the same columns in
// every row; x [1, N] is picked from by each row of indices; both ways at once
for (const [shape, idxShape, axis] of [
  [[3, 4], [1, 6], 1],
  [[1, 4], [3, 2], 1],
  [[2, 1, 4], [1, 3, 2], -1],
  [[4, 3, 1], [2, 1, 5], 0],
] as const) {
  eachBackend(`takeAlongAxis broadcasts ${JSON.stringify(shape)} with indices ${JSON.stringify(idxShape)} along ${axis}`, async (t) => {
    const n = shape[norm(axis, shape.length)];
    await checkOp(t, {
      inputs: [{ shape }, { shape: idxShape, values: indices(sizeOf(idxShape), n, 10) }],
      ours: (x, i) => tal(x, i, axis),
      ref: (x, i) => takeAlongRef(x, i, axis),
    });
  });
}

eachBackend('gather with a scalar index is take; repeated indices accumulate in the gradient', async (t) => {
  const x = sv.tensor([[1, 2, 3], [4, 5, 6]], [2, 3]);
  t.deepEqual([...(await gather(x, sv.scalar(2), 1).data())], [...(await sv.take(x, 1, 2).data())]);
  t.deepEqual([...(await gather(x, sv.tensor([2, 0, 2], [3]), 1).data())], [3, 1, 3, 6, 4, 6]);
  const dx = grad((p: Tensor<[2, 3]>) => sum(gather(p, sv.tensor([2, 0, 2], [3]), 1)))(x);
  t.deepEqual([...(await dx.data())], [1, 0, 2, 1, 0, 2]);
  const sc = scatterAdd(sv.zeros([2, 3]), sv.tensor([[0, 0], [2, 1]], [2, 2]), sv.tensor([[1, 2], [3, 4]], [2, 2]), 1);
  t.deepEqual([...(await sc.data())], [3, 0, 0, 0, 4, 3]);
});

/** Asserts `run` rejects with a RangeError whose message is `message`. */
async function rejects(t: ExecutionContext, run: () => Promise<unknown>, message: string): Promise<void> {
  const e = await t.throwsAsync(run);
  t.is(e?.name, 'RangeError');
  t.is(e?.message, message);
}

test('shape mismatches throw the sentences the types print (types-test/indexing.test-d.ts)', (t) => {
  const x = sv.zeros([4, 5, 3]);
  t.throws(() => tal(x, sv.zeros([4, 7, 2]), 1), { message: 'takeAlongAxis along axis 1: x [4,5,3] and indices [4,7,2] do not broadcast at axis 2 (3 vs 2)' });
  t.throws(() => tal(x, sv.zeros([4, 7]), 1), { message: "takeAlongAxis needs indices of x's rank: x [4,5,3] and indices [4,7]" });
  t.throws(() => sa(x, sv.zeros([2, 5, 1]), sv.zeros([2, 5, 1]), 0), { message: 'scatterAdd along axis 0: x [4,5,3] and indices [2,5,1] differ at axis 2 (3 vs 1)' });
  t.throws(() => sa(x, sv.zeros([4, 2, 3]), sv.zeros([4, 3, 3]), 1), { message: "scatterAdd: updates [4,3,3] must have the indices' shape [4,2,3]" });
  t.throws(() => g(sv.zeros([1000, 64]), sv.zeros([8, 16]), 2), { message: 'axis 2 is out of range for rank 2' });
});

eachBackend('a bad index is an error naming it: at the call for host indices, at evaluation for computed ones, also under jit', async (t) => {
  const x = sv.tensor([[1, 2, 3], [4, 5, 6]], [2, 3]);
  // host indices: at the call
  t.throws(() => gather(x, sv.tensor([0, 3], [2]), 1), { name: 'RangeError', message: 'gather: index 3 at [1] of indices [2] is out of range [0, 3) along axis 1' });
  t.throws(() => takeAlongAxis(x, sv.tensor([[0, -1, 0], [0, 0, 0]], [2, 3]), 0), { message: 'takeAlongAxis: index -1 at [0,1] of indices [2,3] is out of range [0, 2) along axis 0' });
  t.throws(() => scatterAdd(x, sv.tensor([[0.5], [1]], [2, 1]), sv.ones([2, 1]), 1), { message: 'scatterAdd: index 0.5 at [0,0] of indices [2,1] is not an integer along axis 1' });
  // computed indices: when the evaluation computes them
  const lazy = addScalar(sv.tensor([[0, 1], [2, 2]], [2, 2]), 1);
  await rejects(t, () => gather(x, lazy, 1).data(), 'gather: index 3 at [1,0] of indices [2,2] is out of range [0, 3) along axis 1');
  const fractional = sv.mulScalar(sv.tensor([1, 1], [2]), 0.5);
  await rejects(t, () => realize([takeAlongAxis(x, sv.reshape(fractional, [2, 1]), 1)]), 'takeAlongAxis: index 0.5 at [0,0] of indices [2,1] is not an integer along axis 1');
  // realized (uploaded) indices are checked at evaluation too
  const uploaded = sv.tensor([[3], [0]], [2, 1]);
  await realize([uploaded]);
  await rejects(t, () => scatterAdd(x, uploaded, sv.ones([2, 1]), 1).data(), 'scatterAdd: index 3 at [0,0] of indices [2,1] is out of range [0, 3) along axis 1');
  // jit: the call rejects, the compiled function still serves good indices, and the backend goes on
  const f = jit((v: Tensor<[2, 3]>, i: Tensor<[4]>) => gather(v, i, 1));
  await rejects(t, () => f(x, sv.tensor([0, 1, 2, 3], [4])), 'gather: index 3 at [3] of indices [4] is out of range [0, 3) along axis 1');
  t.deepEqual([...(await (await f(x, sv.tensor([2, 1, 0, 0], [4]))).data())], [3, 2, 1, 1, 6, 5, 4, 4]);
  f.dispose();
  t.deepEqual([...(await sv.add(x, x).data())], [2, 4, 6, 8, 10, 12]);
});

eachBackend('vmap: gather, takeAlongAxis, scatterAdd and their gradients equal the op on each example, eagerly and under jit', async (t) => {
  const B = 3;
  const xs = fromTypedArray(randomArray(B * 4 * 5, 21), [B, 4, 5]) as Tensor<[3, 4, 5]>;
  const is = fromTypedArray(indices(B * 4 * 2, 5, 22), [B, 4, 2]) as Tensor<[3, 4, 2]>;
  const shared = fromTypedArray(indices(6, 4, 23), [6]) as Tensor<[6]>;
  const us = fromTypedArray(randomArray(B * 4 * 2, 24), [B, 4, 2]) as Tensor<[3, 4, 2]>;
  const f = (x: Tensor<[4, 5]>, i: Tensor<[4, 2]>, u: Tensor<[4, 2]>, j: Tensor<[6]>) => [
    gather(x, j, 0),
    gather(x, i, 1),
    takeAlongAxis(x, i, 1),
    scatterAdd(x, i, u, 1),
    grad((p: Tensor<[4, 5]>) => sum(mul(gather(p, j, 0), gather(p, j, 0))))(x),
    grad((q: Tensor<[4, 2]>) => sum(mul(scatterAdd(x, i, q, 1), x)))(u),
  ];
  const mapped = vmap(f, { inAxes: [0, 0, 0, null] });
  const outs = [mapped(xs, is, us, shared), await jit(mapped)(xs, is, us, shared)];
  const hosts = await Promise.all([xs, is, us].map((v) => v.data()));
  for (let b = 0; b < B; b++) {
    const slice = (k: number, shape: number[]) => fromTypedArray(hosts[k].subarray(b * sizeOf(shape), (b + 1) * sizeOf(shape)), shape);
    const one = f(slice(0, [4, 5]) as Tensor<[4, 5]>, slice(1, [4, 2]) as Tensor<[4, 2]>, slice(2, [4, 2]) as Tensor<[4, 2]>, shared);
    for (const [k, out] of one.entries()) {
      const want = await out.data();
      for (const got of outs) assertClose(t, (await got[k].data()).subarray(b * want.length, (b + 1) * want.length), want, 1e-5, 1e-5, `output ${k} of example ${b}`);
    }
  }
});
