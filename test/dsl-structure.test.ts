// The structure ops (stack, concat of a list, squeeze, expandDims, flatten, pad, split, arange, eye,
// linspace, oneHot) on every backend: forward vs a float64 reference, gradients vs finite
// differences, vmap vs the op on each example stacked, and the runtime errors' sentences.
import test from 'ava';
import * as sv from '../src/index.js';
import { fromTypedArray, type Tensor } from '../src/index.js';
import { eachBackend } from './support/backends.js';
import { checkOp } from './support/op-check.js';
import { forEachIndex, randomArray, sizeOf, strides, type Ref } from './support/reference.js';

// runtime shapes: the cases below are checked by the ops' shape rules (types-test/structure.test-d.ts has the types)
const any = sv as unknown as Record<string, (...a: any[]) => any>;

/** Tensors xs joined along `axis` in float64. */
function concatRef(xs: readonly Ref[], axis: number): Ref {
  const shape = xs[0].shape.map((d, k) => (k === axis ? xs.reduce((n, x) => n + x.shape[axis], 0) : d));
  const outer = sizeOf(shape.slice(0, axis));
  const data = new Float64Array(sizeOf(shape));
  let at = 0;
  for (let o = 0; o < outer; o++) {
    for (const x of xs) {
      const run = sizeOf(x.shape.slice(axis));
      data.set(x.data.subarray(o * run, (o + 1) * run), at);
      at += run;
    }
  }
  return { shape, data };
}
const expandRef = (x: Ref, axis: number): Ref => ({ shape: [...x.shape.slice(0, axis), 1, ...x.shape.slice(axis)], data: x.data });
const reshapeRef = (x: Ref, shape: readonly number[]): Ref => ({ shape, data: x.data });

function padRef(x: Ref, widths: readonly (readonly [number, number])[], value: number): Ref {
  const shape = x.shape.map((d, k) => d + widths[k][0] + widths[k][1]);
  const st = strides(x.shape);
  const data = new Float64Array(sizeOf(shape)).fill(value);
  forEachIndex(x.shape, (c, i) => (data[c.reduce((at, v, k) => at + (v + widths[k][0]) * strides(shape)[k], 0)] = x.data[c.reduce((at, v, k) => at + v * st[k], 0)]));
  return { shape, data };
}

function sliceRef(x: Ref, axis: number, start: number, end: number): Ref {
  const shape = x.shape.map((d, k) => (k === axis ? end - start : d));
  const st = strides(x.shape);
  const data = new Float64Array(sizeOf(shape));
  forEachIndex(shape, (c, i) => (data[i] = x.data[c.reduce((at, v, k) => at + (k === axis ? v + start : v) * st[k], 0)]));
  return { shape, data };
}

const stackCases: Array<[number[], number, number]> = [
  [[2, 3], 3, 0],
  [[2, 3], 2, 1],
  [[2, 3], 4, -1],
  [[3], 8, 0], // more than one kernel's inputs: concatenated in groups
];
for (const [shape, count, axis] of stackCases) {
  eachBackend(`stack ${count} × [${shape}] along axis ${axis}`, async (t) => {
    const a = axis < 0 ? axis + shape.length + 1 : axis;
    await checkOp(t, { inputs: Array.from({ length: count }, () => ({ shape })), ours: (...xs) => any.stack(xs, axis), ref: (...xs) => concatRef(xs.map((x) => expandRef(x, a)), a) });
  });
}

const concatCases: Array<[number[][], number]> = [
  [[[2, 1, 3], [2, 4, 3], [2, 2, 3]], 1],
  [[[1, 5], [3, 5]], -2],
  [Array.from({ length: 9 }, (_, k) => [2, 1 + (k % 3)]), 1],
];
for (const [shapes, axis] of concatCases) {
  eachBackend(`concat of a list [${shapes.map((s) => `[${s}]`)}] along axis ${axis}`, async (t) => {
    const a = axis < 0 ? axis + shapes[0].length : axis;
    await checkOp(t, { inputs: shapes.map((shape) => ({ shape })), ours: (...xs) => any.concat(xs, axis), ref: (...xs) => concatRef(xs, a) });
  });
}

test('concat of one tensor is that tensor', (t) => {
  const x = sv.zeros([2, 3]);
  t.is(sv.concat([x], 1), x);
});

eachBackend('squeeze, expandDims and flatten (views: shapes and gradients)', async (t) => {
  await checkOp(t, { inputs: [{ shape: [1, 3, 1, 2] }], ours: (x) => any.squeeze(x), ref: (x) => reshapeRef(x, [3, 2]) });
  await checkOp(t, { inputs: [{ shape: [1, 3, 1, 2] }], ours: (x) => any.squeeze(x, [-2, 0]), ref: (x) => reshapeRef(x, [3, 2]) });
  await checkOp(t, { inputs: [{ shape: [1, 3, 1, 2] }], ours: (x) => any.squeeze(x, 2), ref: (x) => reshapeRef(x, [1, 3, 2]) });
  await checkOp(t, { inputs: [{ shape: [3, 2] }], ours: (x) => any.expandDims(x, -1), ref: (x) => reshapeRef(x, [3, 2, 1]) });
  await checkOp(t, { inputs: [{ shape: [3, 2] }], ours: (x) => any.expandDims(x, 1), ref: (x) => reshapeRef(x, [3, 1, 2]) });
  await checkOp(t, { inputs: [{ shape: [2, 3, 4, 2] }], ours: (x) => any.flatten(x), ref: (x) => reshapeRef(x, [48]) });
  await checkOp(t, { inputs: [{ shape: [2, 3, 4, 2] }], ours: (x) => any.flatten(x, 1, 2), ref: (x) => reshapeRef(x, [2, 12, 2]) });
  await checkOp(t, { inputs: [{ shape: [2, 3, 4, 2] }], ours: (x) => any.flatten(x, -2), ref: (x) => reshapeRef(x, [2, 3, 8]) });
  // a permuted (non-contiguous) input: flattening reads it in its logical order
  await checkOp(t, { inputs: [{ shape: [3, 2] }], ours: (x) => any.flatten(sv.transpose(x)), ref: (x) => ({ shape: [6], data: Float64Array.from([0, 2, 4, 1, 3, 5].map((k) => x.data[k])) }) });
});

const padCases: Array<[number[], Array<[number, number]>, number]> = [
  [[2, 3], [[1, 2], [0, 1]], 0],
  [[2, 3, 2], [[0, 0], [2, 1], [1, 1]], -1.5],
  [[4], [[3, 0]], 0.25],
];
for (const [shape, widths, value] of padCases) {
  eachBackend(`pad [${shape}] by ${JSON.stringify(widths)} with ${value}`, async (t) => {
    await checkOp(t, { inputs: [{ shape }], ours: (x) => any.pad(x, widths, value), ref: (x) => padRef(x, widths, value) });
  });
}

const splitCases: Array<[number[], number | number[], number, Array<[number, number]>]> = [
  [[6, 2], 3, 0, [[0, 2], [2, 4], [4, 6]]],
  [[2, 7], [2, 3, 3, 7], 1, [[0, 2], [2, 3], [3, 3], [3, 7], [7, 7]]],
  [[2, 3, 4], [1], -1, [[0, 1], [1, 4]]],
];
for (const [shape, spec, axis, bounds] of splitCases) {
  eachBackend(`split [${shape}] by ${JSON.stringify(spec)} along axis ${axis}`, async (t) => {
    const a = axis < 0 ? axis + shape.length : axis;
    t.is(any.split(sv.zeros(shape), spec, axis).length, bounds.length);
    for (const [k, [start, end]] of bounds.entries()) {
      if (start === end) {
        // (an empty part is a leaf; zero-size tensors are not evaluated on every backend)
        t.deepEqual([...any.split(sv.zeros(shape), spec, axis)[k].shape], shape.map((d, j) => (j === a ? 0 : d)));
        continue;
      }
      await checkOp(t, { inputs: [{ shape }], ours: (x) => any.split(x, spec, axis)[k], ref: (x) => sliceRef(x, a, start, end) });
    }
  });
}

eachBackend('arange, eye and linspace hold numpy\'s values', async (t) => {
  const values = async (x: Tensor) => [...(await x.data())];
  t.deepEqual(await values(sv.arange(5)), [0, 1, 2, 3, 4]);
  t.deepEqual(await values(sv.arange(2, 9, 3)), [2, 5, 8]);
  t.deepEqual(await values(sv.arange(5, 1, -2)), [5, 3]);
  t.deepEqual(await values(sv.arange(0, 1, 0.25)), [0, 0.25, 0.5, 0.75]);
  t.deepEqual([...sv.arange(3, 1).shape], [0]); // (a zero-size leaf: not evaluated on every backend)
  t.deepEqual(await values(sv.eye(3)), [1, 0, 0, 0, 1, 0, 0, 0, 1]);
  t.deepEqual(await values(sv.eye(2, 3)), [1, 0, 0, 0, 1, 0]);
  t.deepEqual(await values(sv.linspace(-1, 1, 5)), [-1, -0.5, 0, 0.5, 1]);
  t.deepEqual(await values(sv.linspace(2, 3, 1)), [2]);
  const third = await values(sv.linspace(0, 1, 4));
  [0, 1 / 3, 2 / 3, 1].forEach((v, k) => t.is(third[k], Math.fround(v)));
  // constants compose with differentiable ops: d/dx sum(x * arange) = arange
  const [g] = sv.grad((xs: Tensor[]) => sv.sum(sv.mul(xs[0], sv.arange(4))))([sv.ones([4])]);
  t.deepEqual(await values(g), [0, 1, 2, 3]);
});

eachBackend('oneHot: rows of 0/1, gradient none, vmap, and a bad index is an error, never a zero row', async (t) => {
  const hot = sv.oneHot(sv.tensor([[2, 0], [1, 1]]), 3);
  t.deepEqual([...hot.shape], [2, 2, 3]);
  t.deepEqual([...(await hot.data())], [0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 1, 0]);
  const batched = sv.vmap((i: Tensor<[2]>) => sv.oneHot(i, 4))(sv.tensor([[3, 0], [1, 2]]));
  t.deepEqual([...(await batched.data())], [0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]);
  // labels through the loss: the classic use, d/dlogits of -sum(onehot * logSoftmax)
  const logits = fromTypedArray(randomArray(6, 3), [2, 3]);
  const [g] = sv.grad((xs: Tensor[]) => sv.neg(sv.sum(sv.mul(sv.oneHot(sv.tensor([1, 2]), 3), sv.logSoftmax(xs[0] as Tensor<[2, 3]>, -1)))))([logits]);
  const ce = sv.grad((xs: Tensor[]) => sv.sum(sv.crossEntropy(xs[0] as Tensor<[2, 3]>, sv.labelTensor([1, 2], 3))))([logits])[0];
  const [a, b] = [await g.data(), await ce.data()];
  a.forEach((v, k) => t.true(Math.abs(v - b[k]) < 1e-5, `${v} vs ${b[k]}`));
  // a leaf is checked at the call; a computed index when the result is
  t.throws(() => sv.oneHot(sv.tensor([0, 3]), 3), { message: 'oneHot: index 3 at [1] of indices [2] is out of range [0, 3) along axis -1' });
  t.throws(() => sv.oneHot(sv.tensor([-1]), 3), { message: 'oneHot: index -1 at [0] of indices [1] is out of range [0, 3) along axis -1' });
  await t.throwsAsync(sv.oneHot(sv.mulScalar(sv.tensor([1, 2]), 0.75), 3).data(), { message: 'oneHot: index 0.75 at [0] of indices [2] is not an integer along axis -1' });
});

eachBackend('vmap of stack, concat (one argument unmapped), pad and split equals the op on each example', async (t) => {
  const xs = fromTypedArray(randomArray(24, 5), [3, 2, 4]);
  const ys = fromTypedArray(randomArray(24, 6), [3, 2, 4]);
  const shared = fromTypedArray(randomArray(4, 7), [1, 4]);
  const fs: Array<[string, (x: Tensor, y: Tensor) => Tensor, readonly (0 | null)[], readonly Tensor[]]> = [
    ['stack', (x, y) => any.stack([x, y, x], 1), [0, 0], [xs, ys]],
    ['concat', (x, s) => any.concat([x, s, x], 0), [0, null], [xs, shared]],
    ['pad', (x) => any.pad(x, [[1, 0], [0, 2]], 3), [0, null], [xs, shared]],
    ['split', (x) => any.split(x, [1, 3], 1)[1], [0, null], [xs, shared]],
    ['flatten', (x) => any.flatten(x), [0, null], [xs, shared]],
  ];
  for (const [name, f, inAxes, args] of fs) {
    const mapped = await (sv.vmap(f as any, { inAxes: inAxes as any }) as any)(...args).data();
    const each = [0, 1, 2].map((b) => f(...(args.map((a, k) => (inAxes[k] === null ? a : any.take(a, 0, b))) as [Tensor, Tensor])));
    t.deepEqual([...mapped], [...(await any.stack(each, 0).data())], name);
  }
});

test('runtime errors name the numbers (the sentences the types print)', (t) => {
  const z = (...s: number[]) => sv.zeros(s);
  const cases: Array<[() => unknown, string]> = [
    [() => any.stack([], 0), 'stack needs at least one tensor'],
    [() => any.stack([z(2, 3), z(2, 4)], 0), 'stack: tensor 1 has shape [2,4] but tensor 0 has [2,3]'],
    [() => any.stack([z(2, 3), z(2, 3)], 3), 'stack: axis 3 is out of range for a new axis of [2,3]'],
    [() => any.concat([], 0), 'concat needs at least one tensor'],
    [() => any.concat([z(2, 3), z(2, 3), z(1, 4)], 0), 'concat along axis 0: [4,3] and [1,4] differ at axis 1 (3 vs 4)'],
    [() => any.concat([z(2, 3)], 2), 'axis 2 is out of range for rank 2'],
    [() => any.squeeze(z(2, 1, 3), 0), 'squeeze: axis 0 of [2,1,3] has dim 2, not 1'],
    [() => any.squeeze(z(2, 1, 3), [1, -2]), 'axis -2 is repeated in [1,-2]'],
    [() => any.expandDims(z(2, 3), -4), 'expandDims: axis -4 is out of range for a new axis of [2,3]'],
    [() => any.flatten(z(2, 3, 4), 2, 1), 'flatten: start axis 2 comes after end axis 1 of [2,3,4]'],
    [() => any.flatten(z(2, 3, 4), 0, 3), 'axis 3 is out of range for rank 3'],
    [() => any.pad(z(2, 3), [[1, 1]]), 'pad needs one [before, after] per axis: 1 for [2,3]'],
    [() => any.pad(z(2, 3), [[1, 1], [0, -2]]), 'pad width -2 on axis 1 is not a non-negative safe integer'],
    [() => any.split(z(10, 2), 3), 'split: 3 sections do not divide dim 10 on axis 0 of [10,2]'],
    [() => any.split(z(10, 2), 0), 'split sections 0 is not a positive integer'],
    [() => any.split(z(10, 2), [4, 12]), 'split index 12 exceeds dim 10 on axis 0 of [10,2]'],
    [() => any.split(z(10, 2), [4, 2]), 'split indices [4,2] are not in increasing order'],
    [() => any.arange(0, 3, 0), 'arange: step must not be 0'],
    [() => any.eye(2, -1), 'dim -1 in [2,-1] is not a non-negative safe integer'],
    [() => any.linspace(0, 1, 2.5), 'dim 2.5 in [2.5] is not a non-negative safe integer'],
  ];
  for (const [f, message] of cases) t.throws(f, { message }, message);
});
