// node build/bench/scatter-add.js [backend webasm] [vocab 4096] [width 64] [tokens 512] [reps 5]
// An embedding lookup's backward pass (gather's VJP: scatterAdd of the cotangent rows into a
// [vocab, width] table) and scatterAdd itself, median ms of `reps` after a warm-up, next to a
// plain JavaScript loop doing the same additions once each (the floor: tokens · width adds).
import { fromTypedArray, gather, realize, scatterAdd, setBackend, vjp, zeros, type BackendName, type Tensor } from '../src/index.js';

const backend = (process.argv[2] ?? 'webasm') as BackendName;
const [vocab, width, tokens, reps] = [4096, 64, 512, 5].map((d, k) => Number(process.argv[3 + k] ?? d));
const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[xs.length >> 1];
setBackend(backend);

const ids = Float32Array.from({ length: tokens }, (_, i) => (i * 7919) % vocab);
const table = fromTypedArray(Float32Array.from({ length: vocab * width }, (_, i) => Math.sin(i)), [vocab, width]);
const cotangent = fromTypedArray(Float32Array.from({ length: tokens * width }, (_, i) => Math.cos(i)), [tokens, width]);
const index = fromTypedArray(ids, [tokens]);
const rows = fromTypedArray(Float32Array.from({ length: tokens * width }, (_, i) => ids[Math.floor(i / width)]), [tokens, width]);
await realize([table, cotangent, index, rows]);

async function time(run: () => Tensor): Promise<number> {
  const times: number[] = [];
  for (let r = 0; r <= reps; r++) {
    const t0 = performance.now();
    const out = run();
    await out.data();
    out.dispose();
    if (r > 0) times.push(performance.now() - t0);
  }
  return median(times);
}

const [, pull] = vjp((w: Tensor<[number, number]>) => gather(w, index, 0), table as Tensor<[number, number]>);
const backward = await time(() => pull(cotangent as never));
const direct = await time(() => scatterAdd(zeros([vocab, width]) as Tensor<[number, number]>, rows as never, cotangent as never, 0));
const loop = (() => {
  const times: number[] = [];
  const u = Float32Array.from({ length: tokens * width }, (_, i) => Math.cos(i));
  for (let r = 0; r <= reps; r++) {
    const t0 = performance.now();
    const out = new Float32Array(vocab * width);
    for (let t = 0; t < tokens; t++) for (let e = 0, at = ids[t] * width; e < width; e++) out[at + e] += u[t * width + e];
    if (r > 0) times.push(performance.now() - t0);
  }
  return median(times);
})();
console.log(`${backend}: embedding [${vocab}, ${width}], ${tokens} tokens`);
console.log(`  gather's backward (scatterAdd into the table): ${backward.toFixed(2)} ms`);
console.log(`  scatterAdd, indices [${tokens}, ${width}] along 0:   ${direct.toFixed(2)} ms`);
console.log(`  a plain JavaScript loop of the same adds:       ${loop.toFixed(2)} ms`);
process.exit(0);
