// Tensors with a dim of 0 on every backend, with numpy's / JAX's semantics: a sum over an empty axis
// is 0 and a product 1, a matmul with k = 0 gives zeros, a mean is NaN and logsumexp −∞, a concat
// drops an empty part, and a max, min, argmax or argmin over an empty axis is an error naming it.
// Forward against float64 (and PyTorch 1.13), gradients against finite differences, under jit and
// vmap too.
import test from 'ava';
import * as sv from '../src/index.js';
import { fromTypedArray, type Tensor } from '../src/index.js';
import { eachBackend } from './support/backends.js';
import { checkOp } from './support/op-check.js';
import { alongAxis, matmulRef, sizeOf, type Ref } from './support/reference.js';
import { torchDifferential, type TorchCase } from './support/torch-diff.js';

// runtime shapes: every case is checked by the ops' shape rules (the types hold literal 0 like any dim)
const any = sv as unknown as Record<string, (...a: any[]) => any>;

const filled = (shape: readonly number[], value: number): Ref => ({ shape, data: new Float64Array(sizeOf(shape)).fill(value) });

/** x [2, 3] and y [2, 2] joined along axis 1 around an empty [2, 0]. */
function concatAround(x: Ref, y: Ref): Ref {
  const data = new Float64Array(10);
  for (let r = 0; r < 2; r++) data.set([...x.data.subarray(3 * r, 3 * r + 3), ...y.data.subarray(2 * r, 2 * r + 2)], 5 * r);
  return { shape: [2, 5], data };
}

const cases: Array<{ title: string; c: Parameters<typeof checkOp>[1] }> = [
  { title: 'sum over an empty axis is 0', c: { inputs: [{ shape: [2, 0, 3] }], ours: (x) => any.sum(x, 1), ref: () => filled([2, 3], 0) } },
  { title: 'sum of everything empty is 0', c: { inputs: [{ shape: [0, 4] }], ours: (x) => sv.sum(x), ref: () => filled([], 0) } },
  { title: 'prod over an empty axis is 1', c: { inputs: [{ shape: [3, 0] }], ours: (x) => any.prod(x, -1), ref: () => filled([3], 1) } },
  { title: 'matmul with k = 0 gives zeros', c: { inputs: [{ shape: [2, 0] }, { shape: [0, 3] }], ours: (a, b) => any.matmul(a, b), ref: (a, b) => matmulRef(a, b) } },
  { title: 'matmul with m = 0 is empty', c: { inputs: [{ shape: [0, 4] }, { shape: [4, 3] }], ours: (a, b) => any.matmul(a, b), ref: () => filled([0, 3], 0) } },
  {
    title: 'concat drops an empty part (gradients flow to the others)',
    c: { inputs: [{ shape: [2, 3] }, { shape: [2, 0] }, { shape: [2, 2] }], ours: (x, e, y) => any.concat([x, e, y], 1), ref: (x, _e, y) => concatAround(x, y) },
  },
  {
    title: 'an empty slice adds nothing to a loss (its gradient is 0)',
    c: {
      inputs: [{ shape: [2, 3] }],
      ours: (x) => sv.add(sv.mulScalar(x, 2), sv.sum(any.slice(x, 1, 1, 1))),
      ref: (x) => ({ shape: x.shape, data: x.data.map((v) => 2 * v) }),
    },
  },
  {
    title: 'a gather of no indices is empty; its gradient is zeros',
    c: { inputs: [{ shape: [4, 3] }, { shape: [0], values: [] }], ours: (x, i) => any.gather(x, i, 0), ref: () => filled([0, 3], 0) },
  },
  { title: 'pad of an empty tensor is its padding', c: { inputs: [{ shape: [0, 2] }], ours: (x) => any.pad(x, [[1, 1], [0, 0]], 0.5), ref: () => filled([2, 2], 0.5) } },
  { title: 'elementwise and softmax of empty tensors are empty', c: { inputs: [{ shape: [0, 3] }, { shape: [3] }], ours: (x, b) => sv.softmax(sv.exp(sv.add(x, b)), -1), ref: () => filled([0, 3], 0) } },
  {
    title: 'conv2d of an empty batch is empty; the weights get zeros',
    c: { inputs: [{ shape: [0, 3, 4, 4] }, { shape: [2, 3, 3, 3] }], ours: (x, w) => any.conv2d(x, w), ref: () => filled([0, 2, 2, 2], 0) },
  },
  {
    title: 'cumsum along an empty axis is empty, and along a full one of an empty tensor',
    c: { inputs: [{ shape: [0, 3] }], ours: (x) => any.cumsum(x, 1), ref: () => filled([0, 3], 0) },
  },
  { title: 'variance over a full axis of an empty batch is empty', c: { inputs: [{ shape: [0, 3] }], ours: (x) => any.variance(x, 1), ref: () => filled([0], 0) } },
];
for (const { title, c } of cases) eachBackend(title, (t) => checkOp(t, c));

eachBackend('mean, variance and std over an empty axis are NaN, logsumexp −∞ (numpy, JAX)', async (t) => {
  const x = sv.zeros([2, 0]);
  t.deepEqual([...(await any.mean(x, 1).data())], [NaN, NaN]);
  t.deepEqual([...(await any.variance(x, -1).data())], [NaN, NaN]);
  t.deepEqual([...(await any.std(x, [1], true).data())], [NaN, NaN]);
  t.deepEqual([...(await sv.mean(x).data())], [NaN]);
  t.deepEqual([...(await any.logsumexp(x, 1).data())], [-Infinity, -Infinity]);
  // and their gradients are empty, like x
  const [g] = sv.grad((xs: Tensor[]) => sv.sum(any.logsumexp(xs[0], 1)))([x]);
  t.deepEqual([...g.shape], [2, 0]);
  t.is((await g.data()).length, 0);
});

eachBackend('jit and vmap over empty tensors', async (t) => {
  const f = sv.jit((x: Tensor, y: Tensor) => sv.add(any.sum(x, 1), any.matmul(any.slice(y, 1, 0, 0), any.slice(y, 0, 0, 0))));
  for (let call = 0; call < 2; call++) {
    const out = await f(sv.zeros([2, 0]), fromTypedArray(new Float32Array([1, 2, 3, 4]), [2, 2]));
    t.deepEqual([...(await out.data())], [0, 0, 0, 0]);
  }
  const per = sv.vmap((x: Tensor) => sv.sum(x));
  t.deepEqual([...(await per(sv.zeros([3, 0])).data())], [0, 0, 0]);
});

test('max, min, argmax and argmin over an empty axis are errors naming it', (t) => {
  const x = sv.zeros([2, 0]);
  t.throws(() => any.max(x, 1), { message: 'max over axis 1 of [2,0]: the axis is empty and max has no identity' });
  t.throws(() => any.min(x, -1), { message: 'min over axis 1 of [2,0]: the axis is empty and min has no identity' });
  t.throws(() => any.argmax(x), { message: 'argmax over axis 1 of [2,0]: the axis is empty and argmax has no identity' });
  t.throws(() => any.argmin(x, 1), { message: 'argmin over axis 1 of [2,0]: the axis is empty and argmin has no identity' });
  // over a full axis of an empty tensor they are empty, as numpy's
  t.deepEqual([...any.max(sv.zeros([0, 3]), 1).shape], [0]);
  t.deepEqual([...any.argmax(sv.zeros([0, 3]), 1).shape], [0]);
});

const torchCases: TorchCase[] = [
  { name: 'sum over an empty axis', op: 'sum', args: { axis: 1 }, inputs: [{ shape: [2, 0, 3] }] },
  { name: 'prod over an empty axis', op: 'prod', args: { axis: 1 }, inputs: [{ shape: [3, 0] }] },
  { name: 'matmul with k = 0', op: 'matmul', inputs: [{ shape: [2, 0] }, { shape: [0, 3] }] },
  { name: 'batched matmul over an empty batch', op: 'matmul', inputs: [{ shape: [0, 2, 3] }, { shape: [3, 4] }] },
  { name: 'concat with an empty part', op: 'concat', args: { axis: 1 }, inputs: [{ shape: [2, 3] }, { shape: [2, 0] }, { shape: [2, 2] }] },
  { name: 'stack of empty tensors', op: 'stack', args: { axis: 1 }, inputs: [{ shape: [0, 2] }, { shape: [0, 2] }] },
  { name: 'pad of an empty tensor', op: 'pad', args: { widths: [[1, 2], [0, 0]], value: 0.5 }, inputs: [{ shape: [0, 2] }] },
  { name: 'conv2d of an empty batch', op: 'conv2d', args: {}, inputs: [{ shape: [0, 3, 4, 4] }, { shape: [2, 3, 3, 3] }] },
  { name: 'cumsum of an empty tensor', op: 'cumsum', args: { axis: 1 }, inputs: [{ shape: [0, 3] }] },
];
torchDifferential('zero-size tensors against PyTorch', 'test/support/torch_zero_size.py', torchCases, (op, xs, a) => {
  switch (op) {
    case 'sum':
    case 'prod':
    case 'cumsum':
      return any[op](xs[0], a.axis);
    case 'matmul':
      return any.matmul(xs[0], xs[1]);
    case 'concat':
    case 'stack':
      return any[op](xs, a.axis);
    case 'pad':
      return any.pad(xs[0], a.widths, a.value);
    case 'conv2d':
      return any.conv2d(xs[0], xs[1]);
  }
  throw new Error(`unknown op ${op}`);
});
