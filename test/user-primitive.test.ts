// A primitive a user defines from outside the package (this file imports only 'shaped-vit', as a
// user's code would): with its rules it differentiates, compiles under jit, runs on every
// backend, batches under vmap; a transformation it has no rule for fails naming it.
import test from 'ava';
import { addScalar, apply, definePrimitive, grad, jit, mul, mulScalar, reshape, sum, tensor, vmap, type Primitive, type Shape, type Tensor } from 'shaped-vit';
import { eachBackend } from './support/backends.js';

// x ↦ x³ - x, elementwise: one `arith` expression is its gpu.js kernel, fused kernel and SIMD code
const cubicP = definePrimitive({
  name: 'user-cubic',
  transforms: ['vjp'],
  shape: ([x]) => [...x],
  lowering: { arith: (m, [x]) => m.sub(m.mul(x, m.mul(x, x)), x) },
  vjp: (g, _out, [x]) => [mul(g, addScalar(mulScalar(mul(x, x), 3), -1))],
});
const cubic = <S extends Shape>(x: Tensor<S>): Tensor<S> => apply(cubicP, [x], undefined);

// rows scaled by a factor: a gpu.js kernel body of its own (inputs x0, x1, output index i)
const scaleRowsP: Primitive<void> = definePrimitive({
  name: 'user-scale-rows',
  transforms: ['vjp', 'batch'],
  shape: ([x, s]) => (s.length === 1 && s[0] === x[0] ? [...x] : failShape(x, s)),
  lowering: { source: (out) => `return x0[i] * x1[Math.floor((i + 0.5) / ${out.shape[1]})];` },
  vjp: (g, _out, [x, s]) => [apply(scaleRowsP, [g, s], undefined), sum(mul(g, x), 1)],
  // over a batch [B, N, D] x [B, N]: B·N rows (an unbatched operand is broadcast along B first)
  batch: (inputs, batched, _attrs, { size, expand }) => {
    const [x, s] = inputs.map((v, k) => (batched[k] ? v : expand(v)));
    const [, n, d] = x.shape;
    return reshape(apply(scaleRowsP, [reshape(x, [size * n, d]), reshape(s, [size * n])], undefined), [size, n, d]);
  },
});
const scaleRows = <N extends number, D extends number>(x: Tensor<[N, D]>, s: Tensor<[N]>): Tensor<[N, D]> => apply(scaleRowsP, [x, s], undefined);

function failShape(x: readonly number[], s: readonly number[]): never {
  throw new Error(`user-scale-rows: scale [${s}] does not fit rows of [${x}]`);
}

const x = [0.5, -1, 2, 1.5, -0.25, 3];
const s = [2, -1];

eachBackend('a user-defined elementwise primitive runs, differentiates and jits', async (t) => {
  const xs = tensor(x, [2, 3]);
  t.deepEqual([...(await cubic(xs).data())].map((v) => +v.toFixed(5)), x.map((v) => +(v ** 3 - v).toFixed(5)));
  const g = grad((v: Tensor<[2, 3]>) => sum(cubic(v)))(xs);
  t.deepEqual([...(await g.data())].map((v) => +v.toFixed(5)), x.map((v) => +(3 * v * v - 1).toFixed(5)));
  const compiled = jit((v: Tensor<[2, 3]>) => grad((w: Tensor<[2, 3]>) => sum(cubic(mulScalar(w, 2))))(v));
  const once = await compiled(xs);
  t.deepEqual([...(await once.data())].map((v) => +v.toFixed(4)), x.map((v) => +(2 * (3 * 4 * v * v - 1)).toFixed(4)));
  compiled.dispose();
});

// an attribute that is a function: kernels must not be shared between applications that differ only in it
const mapConstP: Primitive<{ readonly f: () => number }> = definePrimitive({
  name: 'user-map-const',
  shape: ([v]) => [...v],
  lowering: { arith: (m, [v], { f }) => m.mul(v, m.const(f())) },
});

eachBackend('a user primitive whose attribute is a function: each function gets its own kernel', async (t) => {
  const xs = tensor(x, [2, 3]);
  for (const factor of [2, 3, -1]) {
    const y = apply(mapConstP, [xs], { f: () => factor });
    t.deepEqual([...(await y.data())], x.map((v) => v * factor), `factor ${factor}`);
    y.dispose();
  }
});

eachBackend('a user-defined primitive with its own kernel source differentiates and jits', async (t) => {
  const xs = tensor(x, [2, 3]);
  const ss = tensor(s, [2]);
  const y = scaleRows(xs, ss);
  t.deepEqual([...(await y.data())], [1, -2, 4, -1.5, 0.25, -3]);
  const loss = (p: { x: Tensor<[2, 3]>; s: Tensor<[2]> }) => sum(mul(scaleRows(p.x, p.s), scaleRows(p.x, p.s)));
  const grads = await jit(grad(loss))({ x: xs, s: ss });
  // d/dx (s x)² = 2 s² x; d/ds = 2 s Σ x²
  t.deepEqual([...(await grads.x.data())].map((v) => +v.toFixed(4)), x.map((v, k) => +(2 * s[Math.floor(k / 3)] ** 2 * v).toFixed(4)));
  const sq = [0, 1].map((r) => x.slice(3 * r, 3 * r + 3).reduce((a, v) => a + v * v, 0));
  t.deepEqual([...(await grads.s.data())].map((v) => +v.toFixed(4)), s.map((v, r) => +(2 * v * sq[r]).toFixed(4)));
});

test('a primitive name is taken once', (t) => {
  t.throws(() => definePrimitive({ name: 'user-cubic', shape: ([v]) => [...v], lowering: { source: () => 'return x0[i];' } }), { message: "definePrimitive: a primitive named 'user-cubic' already exists" });
});

test('differentiating through a primitive without a VJP rule fails naming it', (t) => {
  const opaque = definePrimitive({ name: 'user-opaque', shape: ([v]) => [...v], lowering: { source: () => 'return x0[i];' } });
  const e = t.throws(() => grad((v: Tensor<[3]>) => sum(apply(opaque, [v], undefined)))(tensor([1, 2, 3], [3])));
  t.regex(e?.message ?? '', /user-opaque has no VJP/);
});

eachBackend('user-defined primitives batch under vmap, also inside grad and jit', async (t) => {
  const xs = tensor(x, [2, 3]);
  // the elementwise one has no rule of its own: vmap batches it by broadcasting
  const cubes = vmap((v: Tensor<[3]>) => cubic(v))(xs);
  t.deepEqual([...(await cubes.data())].map((v) => +v.toFixed(5)), x.map((v) => +(v ** 3 - v).toFixed(5)));
  // per-example gradients through the one with a batching rule: examples [2, 2, 3], scales shared
  const examples = tensor([...x, ...x.map((v) => -2 * v)], [2, 2, 3]);
  const loss = (sc: Tensor<[2]>, e: Tensor<[2, 3]>) => sum(mul(scaleRows(e, sc), scaleRows(e, sc)));
  const perExample = jit(vmap(grad(loss), { inAxes: [null, 0] }));
  const g = await perExample(tensor(s, [2]), examples);
  t.deepEqual([...g.shape], [2, 2]);
  const sq = (e: number[]) => [0, 1].map((r) => e.slice(3 * r, 3 * r + 3).reduce((a, v) => a + v * v, 0));
  const expected = [sq(x), sq(x.map((v) => -2 * v))].flatMap((q) => s.map((v, r) => +(2 * v * q[r]).toFixed(3)));
  t.deepEqual([...(await g.data())].map((v) => +v.toFixed(3)), expected);
});

test('vmap through a primitive without a batching rule fails naming it', (t) => {
  const opaque = definePrimitive({ name: 'user-opaque-batch', shape: ([v]) => [...v], lowering: { source: () => 'return x0[i];' } });
  t.throws(() => vmap((v: Tensor<[3]>) => apply(opaque, [v], undefined))(tensor([1, 2, 3, 4, 5, 6], [2, 3])), { message: "vmap: primitive 'user-opaque-batch' has no batching rule" });
});
