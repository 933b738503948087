// einsum: forward against a float64 reference and gradients against finite differences for a table
// of subscripts, on every backend; the same cases against torch.einsum (PyTorch 1.13); the plan
// of 'bij,bjk->bik' is matmul's; vmap; and the rejections: tsc prints each sentence of
// type-fixtures/einsum-mismatches.ts at its line, and the same call at runtime throws it.
import test from 'ava';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as sv from '../src/index.js';
import { fromTypedArray, mul, realize, sum, type Tensor } from '../src/index.js';
import { einsumRaw } from '../src/dsl/ops/einsum.js';
import { postOrder } from '../src/dsl/tensor.js';
import { einsumSpec } from '../src/dsl/einsum-rules.js';
import { scaledDotProductAttention } from '../src/nn/attention.js';
import { eachBackend } from './support/backends.js';
import { checkOp } from './support/op-check.js';
import { torchDifferential } from './support/torch-diff.js';
import { repoRoot } from './support/cifar-fixture.js';
import { tscErrorsByLine } from './support/tsc-errors.js';
import { assertClose, forEachIndex, sizeOf, strides, type Ref } from './support/reference.js';

/** float64 einsum by definition: every assignment of the labels, the operands' product added into the output. */
function einsumRef(subscripts: string, xs: readonly Ref[]): Ref {
  const { inputs, output, sizes } = einsumSpec(subscripts, xs.map((x) => x.shape));
  const labels = [...sizes.keys()];
  const shape = output.map((l) => sizes.get(l)!);
  const data = new Float64Array(sizeOf(shape));
  const outStrides = strides(shape);
  forEachIndex(labels.map((l) => sizes.get(l)!), (coords) => {
    const at = (l: string) => coords[labels.indexOf(l)];
    let p = 1;
    xs.forEach((x, k) => {
      const st = strides(x.shape);
      // a `...` dim of size 1 broadcasts: read index 0
      p *= x.data[inputs[k].reduce((s, l, j) => s + (x.shape[j] === 1 ? 0 : at(l)) * st[j], 0)];
    });
    data[output.reduce((s, l, j) => s + at(l) * outStrides[j], 0)] += p;
  });
  return { shape, data };
}

interface Case {
  readonly subscripts: string;
  readonly shapes: readonly (readonly number[])[];
  /** written by hand: checks the parse (the reference shares it) */
  readonly out: readonly number[];
}
const cases: Case[] = [
  { subscripts: 'ij,jk->ik', shapes: [[3, 4], [4, 5]], out: [3, 5] },
  { subscripts: 'bij,bjk->bik', shapes: [[2, 3, 4], [2, 4, 5]], out: [2, 3, 5] },
  { subscripts: 'bhqd,bhkd->bhqk', shapes: [[2, 2, 3, 4], [2, 2, 5, 4]], out: [2, 2, 3, 5] },
  { subscripts: 'bhqk,bhkd->bqhd', shapes: [[2, 2, 3, 5], [2, 2, 5, 4]], out: [2, 3, 2, 4] },
  { subscripts: 'ki,kj->ij', shapes: [[4, 3], [4, 5]], out: [3, 5] },
  { subscripts: 'bij,jk->bik', shapes: [[2, 3, 4], [4, 5]], out: [2, 3, 5] },
  { subscripts: 'ij->ji', shapes: [[3, 4]], out: [4, 3] },
  { subscripts: 'ii->', shapes: [[4, 4]], out: [] },
  { subscripts: 'ii', shapes: [[3, 3]], out: [] },
  { subscripts: 'ii->i', shapes: [[4, 4]], out: [4] },
  { subscripts: 'bii->bi', shapes: [[2, 3, 3]], out: [2, 3] },
  { subscripts: 'iji->j', shapes: [[3, 2, 3]], out: [2] },
  { subscripts: 'iii->i', shapes: [[3, 3, 3]], out: [3] },
  { subscripts: 'i,j->ij', shapes: [[3], [4]], out: [3, 4] },
  { subscripts: 'ij->', shapes: [[3, 4]], out: [] },
  { subscripts: 'ijk->j', shapes: [[2, 3, 4]], out: [3] },
  { subscripts: 'ij,ij->ij', shapes: [[3, 4], [3, 4]], out: [3, 4] },
  { subscripts: 'bi,bi->b', shapes: [[3, 5], [3, 5]], out: [3] },
  { subscripts: 'bn,anm,bm->ba', shapes: [[2, 3], [4, 3, 5], [2, 5]], out: [2, 4] },
  { subscripts: 'ij,jk,kl->il', shapes: [[2, 3], [3, 4], [4, 2]], out: [2, 2] },
  { subscripts: 'ij,jk', shapes: [[2, 3], [3, 4]], out: [2, 4] },
  { subscripts: 'ba,cb', shapes: [[2, 3], [4, 2]], out: [3, 4] },
  { subscripts: 'Ab,bA', shapes: [[2, 3], [3, 2]], out: [] },
  { subscripts: '...ij,...jk->...ik', shapes: [[2, 1, 3, 4], [5, 4, 2]], out: [2, 5, 3, 2] },
  { subscripts: '...i->...', shapes: [[2, 3, 4]], out: [2, 3] },
  { subscripts: 'i...,i...', shapes: [[3, 2], [3, 1]], out: [2] },
  { subscripts: '...ji', shapes: [[2, 3, 4]], out: [2, 4, 3] },
];

for (const { subscripts, shapes, out } of cases) {
  test(`'${subscripts}' on ${shapes.map((s) => `[${s}]`).join(', ')}: the parse gives [${out}]`, (t) => {
    t.deepEqual(einsumSpec(subscripts, shapes).output.map((l) => einsumSpec(subscripts, shapes).sizes.get(l)), [...out]);
  });
  eachBackend(`einsum '${subscripts}': forward against float64, gradients against finite differences`, async (t) => {
    await checkOp(t, {
      inputs: shapes.map((shape) => ({ shape })),
      ours: (...xs) => einsumRaw(subscripts, xs),
      ref: (...xs) => einsumRef(subscripts, xs),
      atol: 1e-5,
      rtol: 1e-4,
      gradTol: 3e-3,
    });
  });
}

// --- the plan: the same kernels as the hand-written form --------------------------------------------

const ramp = (shape: readonly number[], phase: number) => fromTypedArray(Float32Array.from({ length: sizeOf(shape) }, (_, k) => Math.sin(k + phase)), shape);
async function kernels(f: () => Tensor): Promise<string[]> {
  const [, entries] = await sv.profile(async () => {
    const y = f();
    await y.data();
    y.dispose();
  });
  return entries.map((e) => `${e.kernel} ×${e.calls}`).sort();
}

eachBackend("einsum 'bij,bjk->bik' runs matmul's kernels, 'bhqd,bhkd->bhqk' matmul's with transposeB, and gives their values", async (t) => {
  const a = ramp([2, 3, 4], 0);
  const b = ramp([2, 4, 5], 1);
  const k = ramp([2, 5, 4], 2);
  const q4 = ramp([2, 2, 3, 4], 3);
  const k4 = ramp([2, 2, 5, 4], 4);
  await realize([a, b, k, q4, k4]); // uploaded before profiling
  t.deepEqual(await kernels(() => sv.einsum('bij,bjk->bik', a, b)), await kernels(() => sv.matmul(a, b)));
  t.true((await kernels(() => sv.einsum('bij,bjk->bik', a, b))).includes('matmul ×1'));
  t.deepEqual(await kernels(() => sv.einsum('bqd,bkd->bqk', a, k)), await kernels(() => sv.matmul(a, k, { transposeB: true })));
  t.deepEqual([...(await sv.einsum('bij,bjk->bik', a, b).data())], [...(await sv.matmul(a, b).data())]);
  t.deepEqual(await kernels(() => sv.einsum('bhqd,bhkd->bhqk', q4, k4)), await kernels(() => sv.matmul(q4, k4, { transposeB: true })));
  for (const x of [a, b, k, q4, k4]) x.dispose();
});

eachBackend('the ViT attention written with einsum runs the kernels of its matmul form, forward and gradient, with equal values', async (t) => {
  const [q, k, v] = [0, 1, 2].map((phase) => ramp([2, 2, 5, 4], phase) as Tensor<[2, 2, 5, 4]>);
  await realize([q, k, v]);
  const byMatmul = (qq: Tensor<[2, 2, 5, 4]>, kk: Tensor<[2, 2, 5, 4]>, vv: Tensor<[2, 2, 5, 4]>) =>
    sv.matmul(sv.softmax(sv.mulScalar(sv.matmul(qq, kk, { transposeB: true }), 1 / Math.sqrt(4))), vv);
  const byEinsum = (qq: Tensor<[2, 2, 5, 4]>, kk: Tensor<[2, 2, 5, 4]>, vv: Tensor<[2, 2, 5, 4]>) => scaledDotProductAttention(qq, kk, vv).out;
  const gradOf = (f: typeof byMatmul) => () => sv.grad((qq: Tensor<[2, 2, 5, 4]>) => sum(mul(f(qq, k, v), v)))(q);
  t.deepEqual(await kernels(() => byEinsum(q, k, v)), await kernels(() => byMatmul(q, k, v)));
  t.deepEqual(await kernels(gradOf(byEinsum)), await kernels(gradOf(byMatmul)));
  t.deepEqual([...(await gradOf(byEinsum)().data())], [...(await gradOf(byMatmul)().data())]);
});

// --- vmap: batching rules of the primitives it lowers to ----------------------------------------------

eachBackend('vmap of einsum equals einsum with the batch as a label (mapped and broadcast operands)', async (t) => {
  const [x, w, y, d] = [[3, 2, 4], [4, 5], [3, 5, 2], [3, 4, 4]].map((shape, k) => ({ shape, data: Float64Array.from({ length: sizeOf(shape) }, (_, j) => Math.fround(Math.sin(j + k))) }));
  // shapes checked at run time here (vmap's types have their own tests)
  const [tx, tw, ty, td]: Tensor<any>[] = [x, w, y, d].map((r) => fromTypedArray(Float32Array.from(r.data), r.shape));
  const cases: Array<[Tensor, Ref]> = [
    [sv.vmap((xi: Tensor, wi: Tensor) => einsumRaw('ij,jk->ik', [xi, wi]), { inAxes: [0, null] })(tx, tw), einsumRef('bij,jk->bik', [x, w])],
    [sv.vmap((xi: Tensor, yi: Tensor) => einsumRaw('ij,ki->jk', [xi, yi]))(tx, ty), einsumRef('bij,bki->bjk', [x, y])],
    [sv.vmap((di: Tensor) => einsumRaw('ii->i', [di]))(td), einsumRef('bii->bi', [d])],
  ];
  for (const [ours, ref] of cases) {
    t.deepEqual([...ours.shape], [...ref.shape]);
    assertClose(t, await ours.data(), ref.data, 1e-5, 1e-4, 'vmap');
  }
});

eachBackend('jit of an einsum program (3 operands, a diagonal, a gradient) equals it run eagerly', async (t) => {
  const shapes = [[2, 3], [4, 3, 5], [2, 5], [4, 4]];
  const xs = shapes.map((shape, k) => fromTypedArray(Float32Array.from({ length: sizeOf(shape) }, (_, j) => Math.fround(Math.cos(j + 2 * k))), shape));
  const f = (u: Tensor, v: Tensor, w: Tensor, d: Tensor) => {
    const y = einsumRaw('bn,anm,bm->ba', [u, v, w]);
    return [y, sv.grad((dd: Tensor) => sum(mul(einsumRaw('ii->i', [dd]), einsumRaw('ba->a', [y]))))(d)] as const;
  };
  const eager = f(xs[0], xs[1], xs[2], xs[3]);
  const jitted = await sv.jit(f)(xs[0], xs[1], xs[2], xs[3]);
  for (const [k, e] of eager.entries()) assertClose(t, await jitted[k].data(), await e.data(), 1e-6, 1e-5, `output ${k}`);
});

// --- rejections: compile time and runtime, the same sentences -------------------------------------------

const fixture = 'type-fixtures/einsum-mismatches.ts';

test('einsum rejections print their sentence at compile time (tsc 7) and throw it at runtime', async (t) => {
  const errors = await tscErrorsByLine(fixture);
  const source = (await readFile(path.join(repoRoot, fixture), 'utf8')).split('\n');
  let checked = 0;
  source.forEach((s, k) => {
    const sentence = /\/\/ error: (.*)$/.exec(s)?.[1];
    if (!sentence) return;
    t.true(errors.get(k + 2)?.includes(sentence), `line ${k + 2}: expected "${sentence}", got: ${errors.get(k + 2) ?? 'no error'}`);
    const call = /^einsum\('([^']*)'((?:, zeros\(\[[\d, ]*\]\))*)\);$/.exec(source[k + 1]);
    if (!call) return t.fail(`line ${k + 2} is not einsum('...', zeros([...]), ...)`);
    const shapes = [...call[2].matchAll(/\[([\d, ]*)\]/g)].map((m) => m[1].split(',').map(Number));
    t.throws(() => einsumSpec(call[1], shapes), { message: sentence }, `line ${k + 2} at runtime`);
    checked++;
  });
  t.true(checked >= 10);
  t.deepEqual([...errors.keys()].filter((at) => !/\/\/ error:/.test(source[at - 2] ?? '')), [], 'unexpected errors');
});

// --- PyTorch 1.13 -------------------------------------------------------------------------------------------

torchDifferential(
  'einsum forward and gradients equal torch.einsum (PyTorch 1.13) on every case',
  'test/support/torch_reference.py',
  cases.map(({ subscripts, shapes }) => ({ name: subscripts, op: 'einsum', args: { subscripts }, inputs: shapes.map((shape) => ({ shape: [...shape] })) })),
  (_op, xs, { subscripts }) => einsumRaw(subscripts, xs),
);

// einsum keeps each lowering as a graph tape (graph-tape.ts) and makes it again over new operands:
// the same graph as lowering afresh, over whichever tensors are given, an operand given twice included
test("a lowering made again from its tape is the fresh lowering's graph, over the new operands", async (t) => {
  const values = (n: number, seed: number) => Float32Array.from({ length: n }, (_, k) => Math.sin(seed + k * 0.7));
  const describe = (out: Tensor, operands: readonly Tensor[]) => {
    const order = postOrder([out], (x) => operands.includes(x));
    return order.map((x) => (operands.includes(x) ? `operand ${operands.indexOf(x)}` : `${x.op!.name} ${JSON.stringify(x.attrs)} [${x.shape}] (${x.inputs.map((i) => order.indexOf(i))})`));
  };
  const shapes = [[2, 3, 4], [2, 4, 5]] as const;
  const fresh = [fromTypedArray(values(24, 1), shapes[0]), fromTypedArray(values(40, 2), shapes[1])];
  // a key no other test uses: the first call lowers, the second replays
  const subscripts = 'bij , bjk -> bki'.replaceAll(' ', '');
  const first = einsumRaw(subscripts, fresh);
  const again = [fromTypedArray(values(24, 3), shapes[0]), fromTypedArray(values(40, 4), shapes[1])];
  const replayed = einsumRaw(subscripts, again);
  t.deepEqual(describe(replayed, again), describe(first, fresh));
  const want = new Array<number>(2 * 5 * 3).fill(0);
  const [a, b] = [values(24, 3), values(40, 4)];
  for (let n = 0; n < 2; n++) for (let k = 0; k < 5; k++) for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) want[(n * 5 + k) * 3 + i] += a[(n * 3 + i) * 4 + j] * b[(n * 4 + j) * 5 + k];
  const got = await replayed.data();
  t.true(want.every((w, k) => Math.abs(got[k] - w) < 1e-5), `${Array.from(got)} vs ${want}`);
  // one operand twice, then two: not the same graph
  const x = fromTypedArray([1, 2, 3, 4], [2, 2]);
  const y = fromTypedArray([5, 6, 7, 8], [2, 2]);
  t.deepEqual(Array.from(await einsumRaw('ij,ij->ij', [x, x]).data()), [1, 4, 9, 16]);
  t.deepEqual(Array.from(await einsumRaw('ij,ij->ij', [x, y]).data()), [5, 12, 21, 32]);
  t.deepEqual(Array.from(await einsumRaw('ij,ij->ij', [y, y]).data()), [25, 36, 49, 64]);
  // subscripts that are not einsum's are refused even where their text looks like a key
  t.throws(() => einsumRaw('ij,ij->ij|0,0', [x, y]));
});
