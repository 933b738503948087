// node build/bench/adam-update.js [reps, default 7] [floats, default 6306442: the seed ViT's parameters]
// Time of one flat AdamW update on webgpu (optim.adamw over one vector: new moments and new
// parameters) with our elementwise kernels (kernels/webgpu-elementwise.ts: one kernel with three
// results) against gpu.js's fused kernels that run without them (backend.elementwiseKernels off),
// same inputs, rounds interleaved in one process. A round runs 5 updates and reads one float back,
// so the time is the device's work, not a read of the whole vector.
import * as sv from '../src/index.js';
import type { WebgpuBackend } from '../src/dsl/backend.js';

const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[xs.length >> 1];
const updates = 5;

export async function adamTimings(reps: number, size: number): Promise<string[]> {
  sv.setBackend('webgpu');
  const be = (await sv.backend()) as WebgpuBackend & { elementwiseKernels: boolean };
  const opt = sv.optim.adamw({ weightDecay: 0.05 });
  const vector = (seed: number) => sv.tensor(Float32Array.from({ length: size }, (_, i) => Math.sin(i * 0.37 + seed)), [size]);
  let params = [vector(0)];
  const grads = [vector(1)];
  let state = opt.init(params);
  await sv.realize([...params, ...grads, ...sv.tensorsIn(state)]);
  let count = 0;
  const round = async (ours: boolean) => {
    be.elementwiseKernels = ours;
    const t0 = performance.now();
    for (let k = 0; k < updates; k++) {
      const [u, next] = opt.update(grads, state, params, { count: ++count, learningRate: 1e-3 });
      const fresh = sv.applyUpdates(params, u);
      await sv.realize([...fresh, ...sv.tensorsIn(next)]);
      sv.disposeTree([params, state, u]);
      [params, state] = [fresh, next];
    }
    const first = sv.slice(params[0], 0, 0, 1);
    const value = (await first.data())[0];
    first.dispose();
    return { ms: (performance.now() - t0) / updates, value };
  };
  await round(true);
  await round(false);
  const [mine, other]: number[][] = [[], []];
  for (let r = 0; r < reps; r++) {
    mine.push((await round(true)).ms);
    other.push((await round(false)).ms);
  }
  be.elementwiseKernels = true;
  sv.disposeTree([params, grads, state]);
  const [m, o] = [median(mine), median(other)];
  return [
    `${be.description}: flat AdamW update of ${size} floats, ms per update, median of ${reps} rounds of ${updates}`,
    `ours ${m.toFixed(2)}  gpu.js ${o.toFixed(2)}  gpu.js/ours ${(o / m).toFixed(2)}`,
  ];
}

if (typeof process !== 'undefined' && process.argv[1]?.endsWith('adam-update.js')) {
  const reps = Number(process.argv[2] ?? 7);
  const size = Number(process.argv[3] ?? 6306442);
  for (const line of await adamTimings(reps, size)) console.log(line);
  process.exit(0);
}
