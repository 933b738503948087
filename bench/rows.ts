// node build/bench/rows.js [reps, default 7] [batch, default 32]     (npm run bench:browser -- --rows: the same in Chromium)
// Time per launch of webgpu's row statistics kernels (softmax and layerNorm, forward and backward)
// at the ViT's row shapes: ours (the WGSL workgroup reduction, kernels/webgpu-rows.ts) against
// gpu.js's kernel that runs without it (one thread per row returning all its statistics, width 1
// the portable kernel), same inputs, rounds interleaved in one process. A round queues 10 launches
// and reads the last result back, so the time is the kernels', not one read-back each.
import { backend, setBackend, type Tensor } from '../src/index.js';
import * as sv from '../src/index.js';
import type { Storage, WebgpuBackend } from '../src/dsl/backend.js';
import { rowsOf } from '../src/dsl/kernel-table.js';
import { normalizeGradP, normalizeP } from '../src/dsl/ops/layernorm.js';
import { softmaxGradP, softmaxP } from '../src/dsl/ops/softmax.js';
import { rowStatsKernel } from '../src/dsl/rows.js';
import { rowGroup, rowStatsWgsl, webgpuRowStats } from '../src/dsl/kernels/webgpu-rows.js';

interface RowCase {
  readonly name: string;
  readonly op: sv.Primitive<any>;
  readonly inputs: number;
  readonly shape: (batch: number) => number[];
  readonly attrs: unknown;
}

const norm = (length: number) => ({ eps: 1e-5, length });
// quick: 17 tokens, 64 dims, 4 heads; seed: 17 tokens, 384 dims, 12 heads; patch 4: 65 tokens
const cases: RowCase[] = [
  { name: 'quick softmax      [B*4,17,17]', op: softmaxP, inputs: 1, shape: (b) => [b * 4, 17, 17], attrs: 2 },
  { name: 'quick softmaxGrad  [B*4,17,17]', op: softmaxGradP, inputs: 2, shape: (b) => [b * 4, 17, 17], attrs: 2 },
  { name: 'quick layerNorm    [B*17,64]', op: normalizeP, inputs: 1, shape: (b) => [b * 17, 64], attrs: norm(64) },
  { name: 'quick layerNormGrad[B*17,64]', op: normalizeGradP, inputs: 2, shape: (b) => [b * 17, 64], attrs: norm(64) },
  { name: 'seed layerNorm     [B*17,384]', op: normalizeP, inputs: 1, shape: (b) => [b * 17, 384], attrs: norm(384) },
  { name: 'seed layerNormGrad [B*17,384]', op: normalizeGradP, inputs: 2, shape: (b) => [b * 17, 384], attrs: norm(384) },
  { name: 'p4 softmax         [B*12,65,65]', op: softmaxP, inputs: 1, shape: (b) => [b * 12, 65, 65], attrs: 2 },
  { name: 'p4 softmaxGrad     [B*12,65,65]', op: softmaxGradP, inputs: 2, shape: (b) => [b * 12, 65, 65], attrs: 2 },
  { name: 'p4 layerNorm       [B*65,384]', op: normalizeP, inputs: 1, shape: (b) => [b * 65, 384], attrs: norm(384) },
  { name: 'p4 layerNormGrad   [B*65,384]', op: normalizeGradP, inputs: 2, shape: (b) => [b * 65, 384], attrs: norm(384) },
];

const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[xs.length >> 1];
const launches = 10;

/** One line per case: ms per launch (median of `reps` rounds), ours and gpu.js's, and their ratio. */
export async function rowTimings(reps: number, batch: number): Promise<string[]> {
  setBackend('webgpu');
  const be = (await backend()) as WebgpuBackend;
  const lines = [`${be.description}, batch ${batch}: ms per launch, median of ${reps} rounds of ${launches}`, `${'case'.padEnd(32)} ${'ours'.padEnd(8)} ${'gpu.js'.padEnd(8)} gpu.js/ours  threads  max |ours - gpu.js|`];
  for (const c of cases) {
    const shape = c.shape(batch);
    const size = shape.reduce((p, d) => p * d, 1);
    const inputs = Array.from({ length: c.inputs }, () => sv.zeros(shape) as Tensor);
    const storage: Storage[] = await Promise.all(
      inputs.map((_, k) => be.upload(Float32Array.from({ length: size }, (_, i) => Math.sin(i * 0.37 + k) * 3))),
    );
    const kernel = rowStatsKernel(rowsOf(c.op)!, shape, c.attrs, (k, index, into) => `const ${into} = buf${k}[${index}];`, { inputs, members: new Set(), reads: inputs });
    const args = inputs.map((_, k) => `buf${k}`);
    const spec = rowStatsWgsl(kernel, be.wgslLimits)!;
    // gpu.js's kernel: what webgpuRowStats runs with our kernel off
    const gpujs = webgpuRowStats(kernel, args)!;
    const ours = () => be.runWgsl(spec, storage);
    const theirs = () => gpujs({ ...be, rowKernels: false }, storage);
    const round = async (run: () => Promise<Storage>) => {
      const t0 = performance.now();
      const outs: Storage[] = [];
      for (let k = 0; k < launches; k++) outs.push(await run());
      const values = await be.read(outs[outs.length - 1]);
      const ms = (performance.now() - t0) / launches;
      outs.forEach((o) => be.release(o));
      return { ms, values };
    };
    const a = await round(ours);
    const b = await round(theirs);
    const err = a.values.reduce((e, v, i) => Math.max(e, Math.abs(v - b.values[i])), 0);
    const [mine, other]: number[][] = [[], []];
    for (let r = 0; r < reps; r++) {
      mine.push((await round(ours)).ms);
      other.push((await round(theirs)).ms);
    }
    const [m, o] = [median(mine), median(other)];
    lines.push(`${c.name.padEnd(32)} ${m.toFixed(3).padEnd(8)} ${o.toFixed(3).padEnd(8)} ${(o / m).toFixed(2).padEnd(12)} ${String(Object.values(rowGroup(kernel.layout.length, be.wgslLimits)).join("x")).padEnd(8)} ${err.toExponential(1)}`);
    storage.forEach((s) => be.release(s));
    inputs.forEach((x) => x.dispose());
  }
  return lines;
}

if (typeof process !== 'undefined' && process.argv[1]?.endsWith('rows.js')) {
  const reps = Number(process.argv[2] ?? 7);
  const batch = Number(process.argv[3] ?? 32);
  for (const line of await rowTimings(reps, batch)) console.log(line);
  process.exit(0);
}
