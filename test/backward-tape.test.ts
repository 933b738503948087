// Backward passes replayed (src/dsl/backward-tape.ts): a graph of the structure of one already
// differentiated gets its gradient graph from the tape, not from the VJP rules. The replayed graph
// must be the very graph the rules build (same ops, attributes, shapes, inputs by position, host
// constants) and give the same values; graphs that differ in structure, in which inputs are one
// tensor, or whose attributes are not plain data must not replay.
import test from 'ava';
import * as sv from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { backwardReplays, forgetBackwardTapes } from '../src/dsl/backward-tape.js';
import { postOrder } from '../src/dsl/tensor.js';
import { tensorsIn } from '../src/dsl/tree.js';

/** Replays during `work`. */
function replaysOf<T>(work: () => T): [T, number] {
  const before = backwardReplays();
  const out = work();
  return [out, backwardReplays() - before];
}

/**
 * The gradient graph as text, by position: each node's op, attributes, shape and inputs (by their
 * place in the walk), a host leaf by its values, a parameter by its place in the parameters.
 */
function describe(grads: unknown, params: unknown): string[] {
  const leaves = tensorsIn(params);
  const roots = tensorsIn(grads);
  const order = postOrder(roots, (t) => leaves.includes(t));
  const at = new Map(order.map((t, k) => [t, k]));
  return [
    ...order.map((t) => {
      if (leaves.includes(t)) return `param ${leaves.indexOf(t)}`;
      if (!t.op) return `leaf [${t.shape}] ${t.host ? Array.from(t.host).join(',') : 'realized'}`;
      return `${t.op.name} ${JSON.stringify(t.attrs)} [${t.shape}] (${t.inputs.map((i) => at.get(i)).join(',')})`;
    }),
    `roots ${roots.map((r) => at.get(r)).join(',')}`,
  ];
}

const values = async (tree: unknown) => Promise.all(tensorsIn(tree).map(async (t) => Array.from(await t.data())));

/** A param tree with a tensor used twice and one f never reads. */
function paramsAt(seed: number) {
  const w = sv.tensor(Array.from({ length: 12 }, (_, k) => Math.sin(seed + k)), [3, 4]);
  return { w, again: w, bias: sv.tensor([0.1 * seed, -0.2, 0.3, 0.05], [4]), unused: sv.tensor([seed, 1], [2]) };
}
type Params = ReturnType<typeof paramsAt>;

// broadcasting, a slice read twice (the cotangent concat of zero pads), a tensor used twice, softmax, layerNorm
function loss(p: Params, x: Tensor<[2, 3]>) {
  const h = sv.add(sv.matmul(x, p.w), p.bias);
  const [a, b] = sv.chunk(sv.mul(h, sv.matmul(x, p.again)), 2);
  const n = sv.layerNormalize(sv.concat([sv.softmax(a, -1), sv.tanh(b)], 1));
  return sv.mean(sv.mul(n, n));
}

test('a replayed backward pass builds the graph the VJP rules build, and its values', async (t) => {
  const x = sv.tensor([0.3, -1, 2, 0.5, 0.25, -0.75], [2, 3]);
  const first = paramsAt(1);
  const [, replayedFirst] = replaysOf(() => sv.grad((p: Params) => loss(p, x))(first));
  const second = paramsAt(2);
  const [replayed, replays] = replaysOf(() => sv.grad((p: Params) => loss(p, x))(second));
  t.true(replays >= 1, 'the second pass replays the first');
  t.true(replayedFirst <= replays);
  forgetBackwardTapes();
  const [fresh, freshReplays] = replaysOf(() => sv.grad((p: Params) => loss(p, x))(second));
  t.is(freshReplays, 0, 'no tape: the rules run');
  t.deepEqual(describe(replayed, second), describe(fresh, second));
  t.deepEqual(await values(replayed), await values(fresh));
  // the unused parameter's gradient is zeros, both ways
  t.deepEqual(Array.from(await replayed.unused.data()), [0, 0]);
});

test("a small ViT's loss: the replayed gradient graph is the rules' graph", async (t) => {
  const cfg = sv.vit.config({ imageSize: 8, patchSize: 4, channels: 3, embedDim: 8, heads: 2, mlpDim: 6, layers: 2, classes: 5 });
  const images = sv.constant(Float32Array.from({ length: 2 * 3 * 64 }, (_, k) => Math.cos(k)), [2, 3, 8, 8]);
  const labels = sv.labelTensor([1, 4], 5, 2);
  const initAt = (seed: number) => sv.vit.init(cfg, { seed });
  const lossOf = (p: ReturnType<typeof initAt>) => sv.mean(sv.crossEntropy(sv.vit.apply(cfg, p, images, { train: true, seed: 3 }), labels, 0.1), 0);
  sv.grad(lossOf)(initAt(0));
  const params = initAt(1);
  const [replayed, replays] = replaysOf(() => sv.grad(lossOf)(params));
  t.is(replays, 1);
  forgetBackwardTapes();
  const fresh = sv.grad(lossOf)(params);
  t.deepEqual(describe(replayed, params), describe(fresh, params));
  t.deepEqual(await values(replayed), await values(fresh));
});

test('no replay across a change of structure, of which inputs are one tensor, or of attributes that are not plain data', async (t) => {
  const w = sv.tensor([0.5, -1, 2], [3]);
  const c = sv.tensor([1, 2, 3], [3]);
  const d = sv.tensor([-4, 0.5, 1], [3]);
  // f(w) = sum(w·a + w·b): with a and b one tensor, then two
  const twice = (a: Tensor<[3]>, b: Tensor<[3]>) => (p: Tensor<[3]>) => sv.sum(sv.add(sv.mul(p, a), sv.mul(p, b)));
  sv.grad(twice(c, c))(w);
  const [g, replays] = replaysOf(() => sv.grad(twice(c, d))(w));
  t.is(replays, 0, 'the same ops over two tensors instead of one: another structure');
  t.deepEqual(Array.from(await g.data()), [-3, 2.5, 4]);
  const [again, replayed] = replaysOf(() => sv.grad(twice(d, c))(w));
  t.is(replayed, 1, 'the two-tensor structure replays');
  t.deepEqual(Array.from(await again.data()), [-3, 2.5, 4]);
  // a shape or an attribute of its own
  const scaled = (k: number) => (p: Tensor) => sv.sum(sv.mulScalar(p, k));
  sv.grad(scaled(2))(w);
  const [byThree, other] = replaysOf(() => sv.grad(scaled(3))(w));
  t.is(other, 0);
  t.deepEqual(Array.from(await byThree.data()), [3, 3, 3]);
  const [longer] = replaysOf(() => sv.grad(scaled(2))(sv.tensor([1, 1, 1, 1], [4])));
  t.deepEqual(Array.from(await longer.data()), [2, 2, 2, 2]);
  // attributes that are functions: never kept, the rules run every time
  const applyFnP = sv.definePrimitive<{ readonly f: (v: number) => number }, 'vjp'>({
    name: 'test-tape-opaque-scale',
    transforms: ['vjp'],
    shape: ([x]) => [...x],
    lowering: { arith: (m, [x], { f }) => m.mul(x, m.const(f(1))) },
    vjp: (g, _out, _inputs, { f }) => [sv.mulScalar(g, f(1))],
  });
  const opaque = (k: number) => (p: Tensor) => sv.sum(sv.apply(applyFnP, [p], { f: (v: number) => v * k }));
  sv.grad(opaque(5))(w);
  const [fiveAgain, none] = replaysOf(() => sv.grad(opaque(7))(w));
  t.is(none, 0);
  t.deepEqual(Array.from(await fiveAgain.data()), [7, 7, 7]);
});
