// Contiguous runs read in place: a reshape, or a slice of an unraveled vector, that only
// elementwise kernels read is not copied where the backend's kernels read windows of their
// operands' storage (webasm); they read it from the tensor below. Values against float32
// arithmetic done here on every backend, and the kernels that ran where it applies.
import * as sv from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { readsWindows } from '../src/dsl/kernel-table.js';
import { eachBackend } from './support/backends.js';

const f = Math.fround;
const values = (n: number, seed: number) => Array.from({ length: n }, (_, k) => f(Math.sin(seed + k * 1.7) * 2));
const vector = (xs: readonly number[]) => sv.tensor(xs, [xs.length]) as Tensor;
const shaped = (xs: readonly number[], shape: readonly number[]) => sv.tensor(xs, shape as never) as Tensor;
const add = (a: Tensor, b: Tensor) => sv.add(a as never, b as never) as Tensor;
const mulScalar = (a: Tensor, s: number) => sv.mulScalar(a, s) as Tensor;
const slice = (x: Tensor, axis: number, start: number, end: number) => sv.slice(x, axis as never, start, end as never) as Tensor;
const reshape = (x: Tensor, shape: readonly number[]) => sv.reshape(x, shape as never) as Tensor;

/** Evaluates `build()`'s tensors in one evaluation; their values and the calls of each kernel that ran. */
async function run(build: () => Tensor[]): Promise<[number[][], Record<string, number>]> {
  const [out, entries] = await sv.profile(async () => {
    const ts = build();
    await sv.realize(ts);
    return Promise.all(ts.map(async (t) => [...(await t.data())]));
  });
  return [out, Object.fromEntries(entries.map((e) => [e.kernel, e.calls]))];
}

eachBackend("applyUpdates over an unraveled vector (the natural loop's update): each piece read in place", async (t, backend) => {
  const params = { w: shaped(values(6, 1), [2, 3]), b: vector(values(3, 2)) };
  const u = values(9, 3);
  // only the layout is used: the flat vector is disposed, so it is no pending sibling of the update
  const unravel = await sv.tidy(() => sv.ravelPytree(params)[1]);
  const [[w, b], kernels] = await run(() => {
    const next = sv.optim.applyUpdates(params, unravel(sv.tensor(u, [9])));
    return [next.w, next.b];
  });
  const p = [...(await params.w.data()), ...(await params.b.data())];
  t.deepEqual([...w, ...b], p.map((x, k) => f(x + u[k])));
  t.is(kernels.add, 2);
  t.is(kernels.slice ?? 0, readsWindows(backend) ? 0 : 2);
  t.is(kernels.reshape ?? 0, readsWindows(backend) ? 0 : 1);
});

eachBackend('rows 1..3 of a matrix (offset 4), reshaped, through a fused group with a broadcast operand', async (t, backend) => {
  const m = values(16, 4);
  const bias = values(4, 5);
  const [[y], kernels] = await run(() => [mulScalar(add(reshape(slice(shaped(m, [4, 4]), 0, 1, 3), [2, 4]), vector(bias)), 3)]);
  // a fused group may keep its intermediate in more than float32 (gpu.js on cpu)
  m.slice(4, 12).forEach((x, k) => t.true(Math.abs(y[k] - (x + bias[k % 4]) * 3) < 1e-5, `element ${k}: ${y[k]}`));
  t.is(kernels.slice ?? 0, readsWindows(backend) ? 0 : 1);
});

eachBackend('a slice of a slice is one run at the summed offset; a slice along a later axis is copied', async (t, backend) => {
  const v = values(12, 6);
  const m = values(12, 7);
  const [[inner, columns], kernels] = await run(() => [
    add(slice(slice(vector(v), 0, 2, 10), 0, 3, 6), vector([1, 2, 3])),
    add(slice(shaped(m, [3, 4]), 1, 1, 3), shaped([1, 2, 3, 4, 5, 6], [3, 2])),
  ]);
  t.deepEqual(inner, [0, 1, 2].map((k) => f(v[5 + k] + k + 1)));
  t.deepEqual(columns, [0, 1, 2].flatMap((r) => [0, 1].map((c) => f(m[4 * r + 1 + c] + 2 * r + c + 1))));
  // the column slice stays a kernel everywhere; the two slices of `v` are read in place where windows are read
  t.is(kernels.slice, readsWindows(backend) ? 1 : 3);
});

eachBackend('a run is computed where a non-elementwise kernel or the caller also reads it, or a run above it reads it', async (t, backend) => {
  const v = values(8, 8);
  const w = values(8, 9);
  const [[sum, product, piece, bumped, shared, reshaped], kernels] = await run(() => {
    // read by an add and by a reshape a matmul reads: computed
    const read = slice(vector(v), 0, 2, 8);
    // a result itself
    const piece = slice(vector(v), 0, 0, 2);
    // read by an add and by a reshape that is read in place (from it) where windows are read
    const below = slice(vector(w), 0, 1, 7);
    return [
      add(read, vector([1, 1, 1, 1, 1, 1])),
      sv.matmul(reshape(read, [1, 6]) as never, shaped(w.slice(0, 6), [6, 1]) as never) as Tensor,
      piece,
      add(piece, vector([2, 2])),
      add(below, vector(v.slice(0, 6))),
      add(reshape(below, [2, 3]), shaped([1, 2, 3, 4, 5, 6], [2, 3])),
    ];
  });
  t.deepEqual(sum, v.slice(2).map((x) => f(x + 1)));
  t.true(Math.abs(product[0] - v.slice(2).reduce((s, x, k) => s + x * w[k], 0)) < 1e-4);
  t.deepEqual(piece, v.slice(0, 2));
  t.deepEqual(bumped, v.slice(0, 2).map((x) => f(x + 2)));
  t.deepEqual(shared, w.slice(1, 7).map((x, k) => f(x + v[k])));
  t.deepEqual(reshaped, w.slice(1, 7).map((x, k) => f(x + k + 1)));
  t.is(kernels.slice, 3);
  t.is(kernels.reshape, readsWindows(backend) ? 1 : 2);
});

eachBackend('jit: a run of an input read in place, values as without jit', async (t) => {
  const u = values(10, 10);
  const step = sv.jit((x: Tensor, p: Tensor) => add(p, reshape(slice(x, 0, 4, 10), [2, 3])));
  const p = shaped(values(6, 11), [2, 3]);
  const pv = [...(await p.data())];
  for (let k = 0; k < 2; k++) {
    const out = await step(vector(u), p);
    t.deepEqual([...(await out.data())], pv.map((x, j) => f(x + u[4 + j])));
    out.dispose();
  }
  step.dispose();
});
