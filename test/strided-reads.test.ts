// Views read in place: where a backend's matmul reads its operands at any strides (webgpu, the
// portable kernel), a permuted operand (attention's heads, a transposed weight) is never copied.
// Values and gradients against float64 on every backend, and the plan where it applies.
import * as sv from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { readsStrided } from '../src/dsl/kernel-table.js';
import { matmulP } from '../src/dsl/ops/matmul.js';
import { eachBackend } from './support/backends.js';
import { checkOp } from './support/op-check.js';
import { matmulRef, permuteRef, type Ref } from './support/reference.js';

const heads = [0, 2, 1, 3];
interface Case {
  readonly title: string;
  readonly shapes: readonly (readonly number[])[];
  readonly ours: (a: Tensor, b: Tensor) => Tensor;
  readonly ref: (a: Ref, b: Ref) => Ref;
}

const mm = (a: Tensor, b: Tensor, transposeA = false, transposeB = false) => sv.matmul(a, b as never, { transposeA, transposeB }) as Tensor;
const perm = (x: Tensor, axes: number[]) => sv.permute(x, axes as never) as Tensor;

const cases: Case[] = [
  {
    title: 'attention scores: heads-permuted q times heads-permuted kᵀ (17 keys: one output per thread)',
    shapes: [[2, 17, 3, 4], [2, 17, 3, 4]],
    ours: (q, k) => mm(perm(q, heads), perm(k, heads), false, true),
    ref: (q, k) => matmulRef(permuteRef(q, heads), permuteRef(k, heads), false, true),
  },
  {
    title: 'attention output: weights times heads-permuted v (width 8: 4 outputs per thread)',
    shapes: [[2, 3, 5, 5], [2, 5, 3, 8]],
    ours: (p, v) => mm(p, perm(v, heads)),
    ref: (p, v) => matmulRef(p, permuteRef(v, heads)),
  },
  {
    title: 'a heads-permuted operand transposed (a gradient\'s shape)',
    shapes: [[2, 6, 3, 5], [2, 3, 6, 8]],
    ours: (a, b) => mm(perm(a, heads), b, true, false),
    ref: (a, b) => matmulRef(permuteRef(a, heads), b, true, false),
  },
  {
    title: 'rows times a permuted shared matrix, and a permuted batch of rows',
    shapes: [[4, 3, 6], [8, 6]],
    ours: (x, w) => mm(perm(x, [1, 0, 2]), perm(w, [1, 0])),
    ref: (x, w) => matmulRef(permuteRef(x, [1, 0, 2]), permuteRef(w, [1, 0])),
  },
];

for (const { title, shapes, ours, ref } of cases) {
  eachBackend(`${title}: values and gradients`, async (t) => {
    await checkOp(t, { inputs: shapes.map((shape) => ({ shape })), ours: (a, b) => ours(a, b), ref: (a, b) => ref(a, b), atol: 1e-4, rtol: 1e-4, gradTol: 3e-3 });
  });
}

eachBackend('where matmul reads strided operands, no permute of an operand is copied', async (t, backend) => {
  const q = sv.tensor(Array.from({ length: 2 * 17 * 3 * 4 }, (_, k) => Math.sin(k)), [2, 17, 3, 4]);
  const [, entries] = await sv.profile(async () => {
    const scores = mm(perm(q, heads), perm(q, heads), false, true);
    await scores.data();
  });
  const kernels = entries.map((e) => e.kernel);
  t.log(kernels.join(', '));
  t.true(kernels.includes('matmul'));
  t.is(kernels.includes('permute'), !readsStrided(matmulP, backend), kernels.join(', '));
});
