// Optimizers over one flat buffer (optim.flatten, ravelPytree): the raveled vector and its
// inverse with gradients, the contiguous slices and concats that move it (buffer copies on webgpu),
// Adam and AdamW run flat against the per-tensor chain (bit for bit) and a float64 torch
// reference, on every backend (also bundled into the browser test page: no Node imports here).
import * as sv from '../src/core.js';
import { applyUpdates, concat, ravelPytree, slice, tensor, type Tensor } from '../src/core.js';
import { adam, adamw, addDecayedWeights, addWeightDecay, chain, flatten, scaleByAdam, scaleByLearningRate, type Transform } from '../src/train/optim.js';
import { eachBackend } from './support/backends.js';
import { checkOp } from './support/op-check.js';
import { randomArray, sizeOf, torchAdam as adamReference, type Ref } from './support/reference.js';

const any = sv as unknown as Record<string, (...a: unknown[]) => Tensor>;
const flatRef = (xs: readonly Ref[]): Ref => ({ shape: [xs.reduce((n, x) => n + x.data.length, 0)], data: Float64Array.from(xs.flatMap((x) => [...x.data])) });

eachBackend('ravelPytree: a tree as one vector (leaf order, row-major) and back, with gradients through both', async (t) => {
  await checkOp(t, { inputs: [{ shape: [2, 3] }, { shape: [5] }, { shape: [1, 2, 2] }], ours: (a, b, c) => ravelPytree({ a, rest: [b, c] })[0], ref: (a, b, c) => flatRef([a, b, c]) });
  // unravel of a vector: its pieces in the tree's shapes, differentiable too
  const shapes = [[2, 3], [5], [1, 2, 2]];
  const template = { a: sv.zeros(shapes[0]), rest: [sv.zeros(shapes[1]), sv.zeros(shapes[2])] };
  const [, unravel] = ravelPytree(template);
  await checkOp(t, {
    inputs: [{ shape: [15] }],
    ours: (v) => {
      const back = unravel(v as Tensor<[number]>);
      return concat([sv.flatten(back.rest[1]), sv.flatten(back.a), sv.flatten(back.rest[0])], 0) as Tensor;
    },
    ref: (v) => ({ shape: [15], data: Float64Array.from([...v.data.slice(11, 15), ...v.data.slice(0, 6), ...v.data.slice(6, 11)]) }),
  });
  t.throws(() => unravel(sv.zeros([14])), { message: /unravel takes a vector of 15 floats, got Tensor\[14\]/ });
  t.throws(() => ravelPytree({}), { message: /ravelPytree: the tree holds no tensors/ });
});

const concatRef = (xs: readonly Ref[], axis: number): Ref => {
  const shape = [...xs[0].shape];
  shape[axis] = xs.reduce((n, x) => n + x.shape[axis], 0);
  const outer = sizeOf(shape.slice(0, axis));
  const data: number[] = [];
  for (let o = 0; o < outer; o++) for (const x of xs) data.push(...x.data.slice((o * x.data.length) / outer, ((o + 1) * x.data.length) / outer));
  return { shape, data: Float64Array.from(data) };
};

// contiguous: only extents of 1 before the axis (webgpu copies whole runs); 40 inputs take more
// than one level of the portable kernel's groups
const contiguousConcats: Array<[number[][], number]> = [
  [Array.from({ length: 40 }, (_, k) => [1 + (k % 4)]), 0],
  [[[1, 2, 3], [1, 1, 3], [1, 4, 3]], 1],
];
for (const [shapes, axis] of contiguousConcats) {
  eachBackend(`concat of ${shapes.length} tensors [${shapes[0]}].. along axis ${axis}, one run each`, async (t) => {
    await checkOp(t, { inputs: shapes.map((shape) => ({ shape })), ours: (...xs) => any.concat(xs, axis), ref: (...xs) => concatRef(xs, axis) });
  });
}

eachBackend('slices that are one run (a flat vector\'s pieces) and slices that are not', async (t) => {
  const sliceRef = (x: Ref, axis: number, start: number, end: number): Ref => {
    const outer = sizeOf(x.shape.slice(0, axis));
    const inner = sizeOf(x.shape.slice(axis + 1));
    const shape = x.shape.map((d, k) => (k === axis ? end - start : d));
    const data: number[] = [];
    for (let o = 0; o < outer; o++) data.push(...x.data.slice((o * x.shape[axis] + start) * inner, (o * x.shape[axis] + end) * inner));
    return { shape, data: Float64Array.from(data) };
  };
  await checkOp(t, { inputs: [{ shape: [11] }], ours: (x) => slice(x as Tensor<[11]>, 0, 3, 10), ref: (x) => sliceRef(x, 0, 3, 10) });
  await checkOp(t, { inputs: [{ shape: [5, 3] }], ours: (x) => slice(x as Tensor<[5, 3]>, 0, 1, 4), ref: (x) => sliceRef(x, 0, 1, 4) });
  await checkOp(t, { inputs: [{ shape: [1, 6, 2] }], ours: (x) => slice(x as Tensor<[1, 6, 2]>, 1, 2, 5), ref: (x) => sliceRef(x, 1, 2, 5) });
  await checkOp(t, { inputs: [{ shape: [3, 6, 2] }], ours: (x) => slice(x as Tensor<[3, 6, 2]>, 1, 2, 5), ref: (x) => sliceRef(x, 1, 2, 5) });
});

// more tensors than one kernel reads, odd sizes
const shapes = [[3, 5], [7], [2, 2, 3], [1], [4, 4], [5], [6, 1], [3], [2, 9]];
type Tree = { w: Tensor[] };
const treeOf = (values: readonly Float32Array[]): Tree => ({ w: values.map((v, k) => tensor(v, shapes[k])) });
const draws = (seed: number) => shapes.map((s, k) => Float32Array.from(randomArray(sizeOf(s), seed * 31 + k)));

/** Parameters after `steps` updates of `opt` (learning rate 0.05), as one array per tensor. */
async function train(opt: Transform<unknown>, steps: number): Promise<Float32Array[]> {
  let params = treeOf(draws(1));
  let state = opt.init(params);
  for (let s = 1; s <= steps; s++) {
    const [updates, next] = opt.update(treeOf(draws(s + 1)), state, params, { count: s, learningRate: 0.05 });
    params = applyUpdates(params, updates);
    state = next;
  }
  const out = await Promise.all(params.w.map((w) => w.data()));
  sv.disposeTree([params, state]);
  return out;
}

/** torch.optim.Adam / AdamW in float64 on the same draws. */
const torchAdam = (decoupled: boolean, wd: number, steps: number) => adamReference(draws, decoupled, wd, steps, 0.05);

eachBackend('adam and adamw run flat: state one vector per moment, values bit for bit those of the per-tensor chain and torch\'s in float64', async (t, backend) => {
  const total = shapes.reduce((n, s) => n + sizeOf(s), 0);
  const state = adam().init(treeOf(draws(1))) as [null, { m: Tensor; v: Tensor }, null];
  t.deepEqual([[...state[1].m.shape], [...state[1].v.shape]], [[total], [total]]);
  sv.disposeTree(state);
  const cases: Array<[string, Transform<unknown>, Transform<unknown>, boolean, number]> = [
    ['adam', adam({ weightDecay: 0.1 }), chain(addWeightDecay(0.1), scaleByAdam(), scaleByLearningRate()), false, 0.1],
    ['adamw', adamw({ weightDecay: 0.05 }), chain(scaleByAdam(), addDecayedWeights(0.05), scaleByLearningRate()), true, 0.05],
  ];
  for (const [name, flat, perTensor, decoupled, wd] of cases) {
    const [a, b] = [await train(flat, 3), await train(perTensor, 3)];
    // cpu's kernels (gpu.js's JS) compute in float64 inside a kernel: per tensor the update and its
    // addition to the weight are one kernel, flat they are two (the update is rounded to float32 once more)
    if (backend !== 'cpu') t.deepEqual(a, b, `${name}: flat vs per tensor`);
    else a.forEach((w, k) => w.forEach((x, i) => t.true(Math.abs(x - b[k][i]) <= 2 ** -22 * Math.abs(b[k][i]), `${name} w${k}[${i}]: ${x} vs ${b[k][i]}`)));
    const ref = torchAdam(decoupled, wd, 3);
    a.forEach((w, k) => w.forEach((x, i) => t.true(Math.abs(x - ref[k][i]) <= 2e-6 + 2e-5 * Math.abs(ref[k][i]), `${name} w${k}[${i}]: ${x} vs ${ref[k][i]}`)));
  }
  // flatten of a flat optimizer changes nothing
  t.deepEqual(await train(flatten(adam({ weightDecay: 0.1 })), 2), await train(adam({ weightDecay: 0.1 }), 2));
});
