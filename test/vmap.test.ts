// vmap against its definition: vmap(f)(xs) equals f applied to each slice of xs, stacked, for f
// using every primitive (each through its batching rule), with broadcast (inAxes null) and
// non-leading mapped axes, on every backend, eagerly and under jit; per-example gradients
// vmap(grad(loss)) equal the gradients of each example; misuse fails naming what is wrong.
import test, { type ExecutionContext } from 'ava';
import * as sv from '../src/index.js';
import {
  add, argmax, chunk, concat, crossEntropy, div, dropout, equal, exp, fromTypedArray, gelu, grad, jit, layerNorm, log, logSoftmax, matmul, max, mean,
  mergeHeads, mul, mulScalar, addScalar, neg, patchify, permute, relu, reshape, rsqrt, slice, softmax, splitHeads, sqrt, sub, sum, take, tanh,
  tensorsIn, transpose, vmap, broadcastTo, apply, definePrimitive, type InAxis, type Tensor,
} from '../src/index.js';
import { eachBackend } from './support/backends.js';
import { assertClose, randomArray, sizeOf } from './support/reference.js';

type AnyF = (...args: any[]) => unknown;

// shapes are checked at run time here (vmap's types have their own tests, types-test/vmap.test-d.ts)
type Loose = Tensor<any>;
/** A tensor of `shape` with seeded values in [lo, hi]. */
const rand = (shape: readonly number[], seed: number, lo = -1, hi = 1): Loose => fromTypedArray(randomArray(sizeOf(shape), seed, lo, hi), shape);

/** Element `index` along `axis` of host values of `shape`. */
function sliceHost(values: Float32Array, shape: readonly number[], axis: number, index: number): { values: Float32Array; shape: number[] } {
  const outer = sizeOf(shape.slice(0, axis));
  const inner = sizeOf(shape.slice(axis + 1));
  const out = new Float32Array(outer * inner);
  for (let o = 0; o < outer; o++) out.set(values.subarray((o * shape[axis] + index) * inner, (o * shape[axis] + index + 1) * inner), o * inner);
  return { values: out, shape: shape.filter((_, k) => k !== axis) };
}

/** f on each example (the arguments sliced on the host), stacked: the definition of vmap (outAxes 0). */
async function stacked(f: AnyF, args: readonly unknown[], inAxes: readonly InAxis[], size: number): Promise<Float32Array[]> {
  const hosts = await Promise.all(args.map(async (a, k) => (inAxes[k] === null ? null : Promise.all(tensorsIn(a).map(async (t) => [await t.data(), t.shape] as const)))));
  const perExample: Float32Array[][] = [];
  for (let b = 0; b < size; b++) {
    const sliced = args.map((a, k) => {
      if (inAxes[k] === null) return a;
      let j = 0;
      return sv.mapTree(a, (t) => {
        const [values, shape] = hosts[k]![j++];
        const axis = inAxes[k]! < 0 ? inAxes[k]! + shape.length : inAxes[k]!;
        const s = sliceHost(values, shape, axis, b);
        return fromTypedArray(s.values, s.shape);
      });
    });
    perExample.push(await Promise.all(tensorsIn(f(...sliced)).map((t) => t.data())));
  }
  return perExample[0].map((_, j) => {
    const parts = perExample.map((p) => p[j]);
    const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    parts.forEach((p, b) => out.set(p, b * p.length));
    return out;
  });
}

interface Case {
  readonly name: string;
  readonly f: AnyF;
  readonly args: () => unknown[];
  readonly inAxes?: readonly InAxis[];
  readonly tol?: number;
}

const B = 3;
/** matmul with flags, on shapes checked at run time */
const mm = (options: { transposeA?: boolean; transposeB?: boolean }) => (a: Loose, b: Loose) => matmul(a as never, b as never, options as never) as Loose;
/** Every way one operand is shared (unbatched) and the other batched, each layout read plain and transposed. */
const matmulCases = (): Case[] =>
  [false, true].flatMap((ta) =>
    [false, true].flatMap((tb): Case[] => {
      const flags = `${ta ? 'aᵀ' : 'a'} ${tb ? 'bᵀ' : 'b'}`;
      const op = (batch: number[], m: number, k: number, t: boolean) => [...batch, ...(t ? [k, m] : [m, k])];
      return [
        { name: `matmul ${flags}: a shared matrix, b batched`, f: mm({ transposeA: ta, transposeB: tb }), args: () => [rand(op([], 3, 4, ta), 40), rand([B, ...op([], 4, 5, tb)], 41)], inAxes: [null, 0] },
        { name: `matmul ${flags}: b shared with batch dims`, f: mm({ transposeA: ta, transposeB: tb }), args: () => [rand([B, ...op([2], 3, 4, ta)], 42), rand(op([2], 4, 5, tb), 43)], inAxes: [0, null] },
        { name: `matmul ${flags}: a shared with batch dims`, f: mm({ transposeA: ta, transposeB: tb }), args: () => [rand(op([2], 3, 4, ta), 44), rand([B, ...op([2], 4, 5, tb)], 45)], inAxes: [null, 0] },
        { name: `matmul ${flags}: a shared with batch dims, b one batched matrix`, f: mm({ transposeA: ta, transposeB: tb }), args: () => [rand(op([2], 3, 4, ta), 46), rand([B, ...op([], 4, 5, tb)], 47)], inAxes: [null, 0] },
        { name: `matmul ${flags}: both batched, b one matrix for a's batch dims`, f: mm({ transposeA: ta, transposeB: tb }), args: () => [rand([B, ...op([2], 3, 4, ta)], 48), rand([B, ...op([], 4, 5, tb)], 49)] },
      ];
    }),
  );
const params = () => ({ w: rand([5, 4], 11), b: rand([4], 12) });
const cases: Case[] = [
  { name: 'unary math', f: (x: Loose) => [neg(x), exp(x), tanh(x), relu(x), gelu(x), mulScalar(x, 3), addScalar(x, -1)], args: () => [rand([B, 2, 5], 1)] },
  { name: 'log, sqrt, rsqrt', f: (x: Loose) => [log(x), sqrt(x), rsqrt(x)], args: () => [rand([B, 7], 2, 0.5, 2)] },
  {
    name: 'binary ops with a broadcast argument',
    f: (x: Loose, y: Loose) => [add(x, y), sub(y, x), mul(x, y), div(x, addScalar(mul(y, y), 1)), equal(x, x)],
    args: () => [rand([B, 2, 5], 3), rand([5], 4)],
    inAxes: [0, null],
  },
  { name: 'a batched operand of lower rank broadcasts', f: (x: Loose, y: Loose) => add(x, y), args: () => [rand([2, 5], 5), rand([B, 5], 6)], inAxes: [null, 0] },
  { name: 'a dense layer: params shared', f: (p: { w: Loose; b: Loose }, x: Loose) => add(matmul(x, p.w as Tensor<[5, 4]>), p.b), args: () => [params(), rand([B, 2, 5], 7)], inAxes: [null, 0] },
  { name: 'matmul, both batched, transposed', f: (a: Loose, b: Loose) => [matmul(a, b, { transposeB: true }), matmul(a, b as never, { transposeA: true } as never)], args: () => [rand([B, 4, 4], 8), rand([B, 4, 4], 9)] },
  { name: 'matmul, a shared matrix times a batched one', f: (a: Loose, b: Loose) => matmul(a, b), args: () => [rand([2, 3, 4], 10), rand([B, 4, 5], 13)], inAxes: [null, 0] },
  { name: 'matmul, batched operands with batch dims', f: (a: Loose, b: Loose) => matmul(a, b), args: () => [rand([B, 2, 3, 4], 14), rand([2, 4, 5], 15)], inAxes: [0, null] },
  ...matmulCases(),
  { name: 'reductions', f: (x: Loose) => [sum(x), sum(x, 0), mean(x, -1, true), max(x as Tensor<[2, 3, 4]>, [0, 2]), broadcastTo(sum(x as Tensor<[2, 3, 4]>, 1, true), [2, 3, 4])], args: () => [rand([B, 2, 3, 4], 16)] },
  {
    name: 'layout',
    f: (x: Loose, y: Loose) => [reshape(x, [6, 4]), permute(x, [2, 0, 1]), transpose(x), slice(x, 1, 1, 3), take(x, 2, 0), ...chunk(x, 2), concat(x, y, 0)],
    args: () => [rand([B, 2, 3, 4], 17), rand([1, 3, 4], 18)],
    inAxes: [0, null],
  },
  { name: 'attention heads and patches', f: (x: Loose, im: Loose) => [mergeHeads(splitHeads(x, 2)), patchify(im, 2)], args: () => [rand([B, 1, 3, 4], 19), rand([B, 1, 2, 4, 4], 20)] },
  {
    name: 'row ops and losses',
    f: (x: Loose, labels: Loose, ln: { w: Loose; b: Loose }) => [softmax(x), logSoftmax(x, 0), layerNorm(x as Tensor<[4, 5]>, ln.w as Tensor<[5]>, ln.b as Tensor<[5]>), crossEntropy(x as Tensor<[4, 5]>, labels as Tensor<[4]>, 0.1), argmax(x as Tensor<[4, 5]>, -1)],
    args: () => [rand([B, 4, 5], 21), fromTypedArray([0, 1, 4, 2, 3, 3, 1, 0, 2, 2, 4, 4], [B, 4]), { w: rand([5], 22), b: rand([5], 23) }],
    inAxes: [0, 0, null],
  },
  { name: 'a mapped axis that is not the first', f: (x: Loose, y: Loose) => mul(x, y), args: () => [rand([2, B, 5], 24), rand([5, B], 25)], inAxes: [1, -1] },
  {
    name: 'gradients of row ops and matmul inside vmap',
    f: (p: { w: Loose; b: Loose }, x: Loose, labels: Loose) => grad((q: { w: Loose; b: Loose }) => mean(crossEntropy(layerNorm(softmax(add(matmul(x as Tensor<[2, 5]>, q.w as Tensor<[5, 4]>), q.b)), q.b as Tensor<[4]>, q.b as Tensor<[4]>) as Tensor<[2, 4]>, labels as Tensor<[2]>)) as Tensor<[]>)(p),
    args: () => [params(), rand([B, 2, 5], 26), fromTypedArray([0, 3, 1, 1, 2, 0], [B, 2])],
    inAxes: [null, 0, 0],
    tol: 1e-4,
  },
  {
    name: 'gradients of layout ops and max inside vmap',
    f: (x: Loose, y: Loose) =>
      grad((v: Loose) => sum(mul(max(concat(permute(slice(v, 1, 1, 4) as Loose, [1, 0]), reshape(take(v, 1, 0) as Loose, [1, 2]), 0) as Loose, 1), sum(y))) as Tensor<[]>)(x),
    args: () => [rand([B, 2, 5], 27), rand([B, 3], 28)],
  },
];

async function checkCase(t: ExecutionContext, c: Case, compiled: boolean): Promise<void> {
  const args = c.args();
  const inAxes = c.inAxes ?? args.map(() => 0);
  const mapped = vmap(c.f, { inAxes }) as AnyF;
  const ours = tensorsIn(compiled ? await jit(mapped)(...args) : mapped(...args));
  const expected = await stacked(c.f, args, inAxes, B);
  t.is(ours.length, expected.length);
  for (const [j, o] of ours.entries()) {
    t.is(o.shape[0], B, `output ${j} has the mapped axis in front`);
    assertClose(t, await o.data(), expected[j], c.tol ?? 2e-5, c.tol ?? 2e-5, `${c.name}: output ${j}`);
  }
}

for (const c of cases) {
  eachBackend(`vmap equals stacking f over slices: ${c.name}`, (t) => checkCase(t, c, false));
  eachBackend(`jit(vmap) equals stacking f over slices: ${c.name}`, (t) => checkCase(t, c, true));
}

/** The primitives of the graph behind `out` (not yet evaluated), by name. */
function primitivesOf(out: Tensor): string[] {
  const seen = new Set<Tensor>();
  const names: string[] = [];
  const visit = (t: Tensor) => {
    if (seen.has(t)) return;
    seen.add(t);
    if (t.op) names.push(t.op.name);
    t.inputs.forEach(visit);
  };
  visit(out);
  return names;
}

test('vmap of a matmul never copies its unbatched operand per example (no broadcast in the batched graph)', (t) => {
  for (const c of matmulCases()) {
    const args = c.args();
    const out = (vmap(c.f, { inAxes: c.inAxes ?? [0, 0] }) as AnyF)(...args) as Loose;
    t.deepEqual(primitivesOf(out).filter((n) => n === 'broadcastTo'), [], c.name);
    t.is(primitivesOf(out).filter((n) => n === 'matmul').length, 1, `${c.name}: one matmul`);
    out.dispose();
  }
});

eachBackend('vmap of a matmul with a shared 128 x 128 matrix holds no per-example copy of it (memory().peakBytes)', async (t) => {
  const shared = rand([128, 128], 50);
  const xs = rand([64, 128, 4], 51);
  await sv.realize([shared, xs]);
  await sv.resetPeakMemory();
  const start = (await sv.memory()).bytes;
  const out = vmap((a: Loose, x: Loose) => matmul(a as Tensor<[128, 128]>, x as Tensor<[128, 4]>), { inAxes: [null, 0] })(shared, xs);
  await sv.realize([out]);
  const peak = (await sv.memory()).peakBytes - start;
  // a copy per example would be 64 × 64 KiB = 4 MiB; the result is 128 KiB
  t.true(peak < 1 << 20, `peak ${peak} bytes above the operands`);
  const want = await stacked((a: Loose, x: Loose) => matmul(a as Tensor<[128, 128]>, x as Tensor<[128, 4]>), [shared, xs], [null, 0], 64);
  assertClose(t, await out.data(), want[0], 1e-4, 1e-4, 'vmap equals stacking');
});

// per-example gradients of a two-layer classifier: vmap(grad(loss)) with params shared
const mlpLoss = (p: { w1: Tensor<[6, 8]>; w2: Tensor<[8, 3]> }, x: Tensor<[6]>, label: Tensor<[]>) => {
  const h = gelu(matmul(reshape(x, [1, 6]), p.w1));
  return mean(crossEntropy(matmul(h, p.w2), reshape(label, [1])));
};

eachBackend('per-example gradients: vmap(grad(loss), { inAxes: [null, 0, 0] }) equals each example\'s gradient, also under jit', async (t) => {
  const p = { w1: rand([6, 8], 31) as Tensor<[6, 8]>, w2: rand([8, 3], 32) as Tensor<[8, 3]> };
  const xs = rand([5, 6], 33) as Tensor<[5, 6]>;
  const labels = fromTypedArray([0, 2, 1, 1, 0], [5]);
  const perExample = vmap(grad(mlpLoss), { inAxes: [null, 0, 0] });
  const eager = perExample(p, xs, labels);
  const compiled = await jit(perExample)(p, xs, labels);
  const expected = await stacked(grad(mlpLoss) as AnyF, [p, xs, labels], [null, 0, 0], 5);
  for (const g of [eager, compiled]) {
    t.deepEqual([...g.w1.shape], [5, 6, 8]);
    assertClose(t, await g.w1.data(), expected[0], 1e-5, 1e-4, 'w1');
    assertClose(t, await g.w2.data(), expected[1], 1e-5, 1e-4, 'w2');
  }
  // the mean of the per-example gradients is the batch gradient
  const batchLoss = (q: typeof p) => mean(vmap((x: Tensor<[6]>, y: Tensor<[]>) => mlpLoss(q, x, y))(xs, labels));
  assertClose(t, await grad(batchLoss)(p).w2.data(), await mean(eager.w2, 0).data(), 1e-5, 1e-4, 'mean of per-example gradients');
});

eachBackend('outAxes, nested vmap and a seeded dropout mask per example', async (t) => {
  const x = rand([B, 4], 41);
  const y = rand([2, 4], 42);
  const outer = vmap((u: Tensor<[4]>, v: Tensor<[2, 4]>) => vmap((w: Tensor<[4]>) => mul(u, w))(v), { outAxes: 1 })(x, sv.broadcastTo(y, [B, 2, 4]));
  t.deepEqual([...outer.shape], [2, B, 4]);
  const xv = await x.data();
  const yv = await y.data();
  const expected = new Float32Array(2 * B * 4);
  for (let i = 0; i < 2; i++) for (let b = 0; b < B; b++) for (let k = 0; k < 4; k++) expected[(i * B + b) * 4 + k] = xv[b * 4 + k] * yv[i * 4 + k];
  assertClose(t, await outer.data(), expected, 1e-6, 1e-6, 'nested');
  // a seed per example: each example's mask is the one its seed gives alone
  const seeds = fromTypedArray([5, 9, 5], [B]);
  const ones = sv.ones([B, 64]);
  const masked = await vmap((v: Tensor<[64]>, s: Tensor<[]>) => dropout(v, 0.5, { base: s, offset: 1 }))(ones, seeds).data();
  const alone = await dropout(sv.ones([64]), 0.5, { base: sv.scalar(9), offset: 1 }).data();
  t.deepEqual([...masked.subarray(64, 128)], [...alone]);
  t.deepEqual([...masked.subarray(0, 64)], [...masked.subarray(128, 192)]);
  t.notDeepEqual([...masked.subarray(0, 64)], [...alone]);
});

test('mapped axes of different sizes, unmapped calls and a primitive without a batching rule fail naming them', (t) => {
  const f = (a: Tensor<[4]>, b: Tensor<[4]>) => add(a, b);
  t.throws(() => (vmap(f) as AnyF)(rand([3, 4], 1), rand([2, 4], 2)), { message: 'vmap: argument 1: axis 0 has size 2, expected 3' });
  t.throws(() => vmap(f, { inAxes: [null, null] })(rand([4], 1), rand([4], 2)), { message: 'vmap: no argument is mapped (every inAxes entry is null)' });
  t.throws(() => (vmap(f, { inAxes: [0] as never }) as AnyF)(rand([3, 4], 1), rand([3, 4], 2)), { message: 'vmap: inAxes has 1 entries for 2 arguments' });
  const opaque = definePrimitive({ name: 'test-vmap-opaque', shape: ([v]) => [...v], lowering: { source: () => 'return x0[i];' } });
  t.throws(() => vmap((v: Tensor<[4]>) => apply(opaque, [v], undefined))(rand([3, 4], 3)), { message: "vmap: primitive 'test-vmap-opaque' has no batching rule" });
});

// inAxes and outAxes as tree prefixes (JAX's contract)
type Layer = { w: Tensor<[4, 2]>; b: Tensor<[2]> };
const layer = (p: Layer, x: Tensor<[4]>) => add(matmul(reshape(x, [1, 4]), p.w), p.b);

eachBackend('inAxes and outAxes as tree prefixes: a record argument with one leaf mapped, outputs placed per leaf, eager and under jit', async (t) => {
  const w = rand([4, 2], 60) as Tensor<[4, 2]>;
  const bs = rand([B, 2], 61) as Tensor<[3, 2]>;
  const xs = rand([B, 4], 62) as Tensor<[3, 4]>;
  const perBias = vmap(layer, { inAxes: [{ w: null, b: 0 }, 0] });
  const expected = await stacked((b: Loose, x: Loose) => layer({ w, b }, x), [bs, xs], [0, 0], B);
  const eager: Tensor<[3, 1, 2]> = perBias({ w, b: bs }, xs);
  assertClose(t, await eager.data(), expected[0], 1e-6, 1e-5, 'eager');
  assertClose(t, await (await jit(perBias)({ w, b: bs }, xs)).data(), expected[0], 1e-6, 1e-5, 'jit');
  // b mapped along its second axis
  const bT = sv.transpose(bs);
  assertClose(t, await vmap(layer, { inAxes: [{ w: null, b: 1 }, 0] })({ w, b: bT }, xs).data(), expected[0], 1e-6, 1e-5, 'b mapped along axis 1');
  // outAxes per leaf of the result; null for an output that does not depend on the mapped arguments
  const split = vmap((x: Tensor<[4]>, v: Tensor<[2]>) => ({ y: layer({ w, b: v }, x), scale: sum(w) }), { inAxes: [0, null], outAxes: { y: 2, scale: null } });
  const out = split(xs, rand([2], 63) as Tensor<[2]>);
  t.deepEqual([...out.y.shape], [1, 2, B]);
  t.deepEqual([...out.scale.shape], []);
  assertClose(t, await out.scale.data(), [(await w.data()).reduce((a, v) => a + v, 0)], 1e-5, 1e-5, 'unmapped output kept as it is');
});

test('an axis tree that does not fit its argument or result fails naming the path', (t) => {
  const w = rand([4, 2], 60);
  const flipped = (x: Tensor<[4]>, p: Layer) => layer(p, x);
  t.throws(() => (vmap(flipped, { inAxes: [0, { w: null, b: 0 }] }) as AnyF)(rand([4, 4], 1), { w, b: rand([3, 2], 2) }), { message: 'vmap: inAxes[1].b: axis 0 has size 3, expected 4' });
  t.throws(() => (vmap(flipped, { inAxes: [0, { w: null }] } as never) as AnyF)(rand([4, 4], 1), { w, b: rand([4, 2], 2) }), { message: 'vmap: inAxes[1].b: no axis given (null for none)' });
  t.throws(() => (vmap(flipped, { inAxes: [0, { w: null, b: 0, c: 0 }] } as never) as AnyF)(rand([4, 4], 1), { w, b: rand([4, 2], 2) }), { message: "vmap: inAxes[1].c: the argument has no 'c'" });
  t.throws(() => (vmap(flipped, { inAxes: [{ x: 0 }, null] } as never) as AnyF)(rand([4, 4], 1), { w, b: rand([4, 2], 2) }), { message: 'vmap: inAxes[0]: a record of axes {x} for a tensor Tensor[4,4]' });
  t.throws(() => (vmap((xs: Tensor[]) => xs[0], { inAxes: [[0, 0]] } as never) as AnyF)([rand([4, 4], 1)]), { message: 'vmap: inAxes[0]: an array of 2 axes for an array of 1' });
  t.throws(() => (vmap((x: Tensor<[4]>) => ({ y: x }), { outAxes: { y: null } }) as AnyF)(rand([3, 4], 1)), { message: 'vmap: outAxes.y is null, but that output depends on the mapped arguments' });
});

eachBackend('a trace that throws leaves nothing behind for the next evaluation', async (t) => {
  const p = rand([4], 51);
  t.throws(
    () =>
      vmap((v: Tensor<[4]>) => {
        add(v, p);
        throw new Error('boom');
      })(rand([3, 4], 52)),
    { message: 'boom' },
  );
  assertClose(t, await add(p, p).data(), (await p.data()).map((v) => 2 * v), 1e-6, 1e-6, 'p + p');
});
