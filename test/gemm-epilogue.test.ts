// A matmul and the elementwise group reading it (bias, GELU, a residual add) as one kernel where the
// backend's GEMM takes an epilogue (webasm): values against float64 and gradients against finite
// differences on every backend (the fusion must not show beyond float32 rounding), and, where the
// backend fuses, the kernels the plan runs: one for the product and its epilogue, none when the
// product is needed elsewhere or an operand is broadcast along rows.
import type { ExecutionContext } from 'ava';
import * as sv from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { hasEpilogue } from '../src/dsl/kernel-table.js';
import { matmulP } from '../src/dsl/ops/matmul.js';
import { eachBackend } from './support/backends.js';
import { checkOp } from './support/op-check.js';
import { binaryRef, erf, matmulRef, unaryRef, type Ref } from './support/reference.js';

type T2 = Tensor<[number, number]>;
const geluRef = (x: Ref) => unaryRef(x, (v) => 0.5 * v * (1 + erf(v / Math.SQRT2)));
const plus = (a: Ref, b: Ref) => binaryRef(a, b, (x, y) => x + y);
const times = (a: Ref, b: Ref) => binaryRef(a, b, (x, y) => x * y);
const mm = (x: Tensor, w: Tensor, transposeB = false) => sv.matmul(x as T2, w as T2, { transposeB }) as Tensor;

interface Case {
  readonly title: string;
  readonly inputs: readonly (readonly number[])[];
  readonly ours: (...x: Tensor[]) => Tensor;
  readonly ref: (...x: Ref[]) => Ref;
  /** the kernel the forward pass runs for the product and its group, where the backend fuses */
  readonly fused: string;
  readonly skipGrad?: boolean;
}

const cases: Case[] = [
  {
    title: 'linear + bias + GELU (the MLP\'s first layer), tiles with partial rows and columns',
    inputs: [[7, 13], [13, 21], [21]],
    ours: (x, w, b) => sv.gelu(sv.add(mm(x, w), b)),
    ref: (x, w, b) => geluRef(plus(matmulRef(x, w), b)),
    fused: 'matmul+fused(add+gelu)',
  },
  {
    title: 'x Wᵀ + bias, plus a residual (the MLP\'s second layer)',
    inputs: [[9, 16], [24, 16], [24], [9, 24]],
    ours: (x, w, b, r) => sv.add(sv.add(mm(x, w, true), b), r),
    ref: (x, w, b, r) => plus(plus(matmulRef(x, w, false, true), b), r),
    fused: 'matmul+fused(add)',
  },
  {
    title: 'x Wᵀ + bias, plus a residual, over a k the GEMM sums in blocks (the epilogue on the last; a shorter odd last block)',
    inputs: [[9, 45], [19, 45], [19], [9, 19]],
    ours: (x, w, b, r) => sv.add(sv.add(mm(x, w, true), b), r),
    ref: (x, w, b, r) => plus(plus(matmulRef(x, w, false, true), b), r),
    fused: 'matmul+fused(add)',
  },
  {
    title: 'a batched product ([2, 5, 6] x [2, 6, 11]) scaled by a scalar tensor, plus a bias, through GELU',
    inputs: [[2, 5, 6], [2, 6, 11], [], [11]],
    ours: (x, w, s, b) => sv.gelu(sv.add(sv.mul(sv.matmul(x as Tensor<[2, 5, 6]>, w as Tensor<[2, 6, 11]>), s), b)),
    ref: (x, w, s, b) => geluRef(plus(times(matmulRef(x, w), s), b)),
    fused: 'matmul+fused(add+gelu+mul)',
  },
  {
    // 150 x 70 x 200: enough work for the GEMM to be split across the thread team
    title: 'a product large enough to be split across threads, plus a bias and a residual',
    inputs: [[150, 70], [70, 200], [200], [150, 200]],
    ours: (x, w, b, r) => sv.add(sv.add(mm(x, w), b), r),
    ref: (x, w, b, r) => plus(plus(matmulRef(x, w), b), r),
    fused: 'matmul+fused(add)',
    skipGrad: true,
  },
];

for (const c of cases) {
  eachBackend(`${c.title}: values and gradients`, async (t) => {
    await checkOp(t, { inputs: c.inputs.map((shape) => ({ shape })), ours: c.ours, ref: c.ref, atol: 1e-4, rtol: 1e-4, skipGrad: c.skipGrad });
  });
}

/** The kernel kinds one evaluation of `build` over realized random inputs runs. */
async function kernelsOf(build: (...x: Tensor[]) => Tensor, shapes: readonly (readonly number[])[]): Promise<string[]> {
  const xs = shapes.map((shape, k) => sv.mulScalar(sv.randn(shape as number[], { seed: k + 1 }), 0.5));
  await sv.realize(xs);
  const [, entries] = await sv.profile(async () => build(...xs).data());
  sv.disposeTree(xs);
  return entries.map((e) => e.kernel).filter((k) => k !== 'read').sort();
}

const fuses = (backend: sv.BackendName) => hasEpilogue(matmulP, backend);

eachBackend('where the backend\'s GEMM takes an epilogue, the product and its elementwise group run as one kernel', async (t, backend) => {
  if (!fuses(backend)) {
    t.pass(`${backend} has no GEMM epilogue: nothing to check`);
    return;
  }
  for (const c of cases) t.deepEqual(await kernelsOf(c.ours, c.inputs), [c.fused], c.title);
});

/** Runs `check` with fusion on the backend that fuses; elsewhere passes. */
async function whereFused(t: ExecutionContext, backend: sv.BackendName, check: () => Promise<void>): Promise<void> {
  if (fuses(backend)) await check();
  else t.pass(`${backend} has no GEMM epilogue: nothing to check`);
}

eachBackend('training a linear + GELU layer: the forward product takes the bias as its epilogue (GELU\'s input is kept for its gradient)', async (t, backend) =>
  whereFused(t, backend, async () => {
    const [x, w, b] = [sv.randn([6, 10], { seed: 1 }), sv.randn([10, 12], { seed: 2 }), sv.randn([12], { seed: 3 })];
    await sv.realize([x, w, b]);
    const [, entries] = await sv.profile(async () => {
      const [value, grads] = sv.valueAndGrad((p: { w: Tensor; b: Tensor }) => sv.sum(sv.gelu(sv.add(mm(x, p.w), p.b))))({ w, b });
      await sv.realize([value, grads.w, grads.b]);
      sv.disposeTree([value, grads]);
    });
    const kernels = entries.map((e) => e.kernel);
    t.true(kernels.includes('matmul+add'), kernels.join(', '));
    sv.disposeTree([x, w, b]);
  }),
);

eachBackend('no epilogue where the product is also read elsewhere, or an operand is broadcast along rows', async (t, backend) =>
  whereFused(t, backend, async () => {
    // the product is read twice (by two members of one group)
    const twice = (x: Tensor, w: Tensor, b: Tensor) => {
      const y = mm(x, w);
      return sv.mul(sv.add(y, b), sv.exp(y));
    };
    t.deepEqual(await kernelsOf(twice, [[4, 5], [5, 6], [6]]), ['fused(add+exp+mul)', 'matmul']);
    // a [rows, 1] operand: not read by column, so the group runs on its own
    t.deepEqual(await kernelsOf((x, w, c) => sv.add(mm(x, w), c), [[4, 5], [5, 6], [4, 1]]), ['add', 'matmul']);
  }),
);
