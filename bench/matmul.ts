// node build/bench/matmul.js [backends, default webasm,cpu] [reps, default 7]
// GFLOP/s of the matmul shapes a quick-preset ViT training step runs (B=128, T=17, E=128, H=4,
// MLP 256), through the DSL (`matmul`), against the original one-output-per-thread kernel run on
// the same backend in the same process (rounds interleaved, so machine load hits both alike).
// Prints the median and best of `reps` timed runs after two warm-up runs (kernel compilation,
// wasm tier-up), and the max abs error of each against a float64 reference.
import { backend, fromTypedArray, matmul, realize, setBackend, type BackendName, type Tensor } from '../src/index.js';

interface Case {
  readonly name: string;
  readonly a: number[];
  readonly b: number[];
  readonly transposeA?: boolean;
  readonly transposeB?: boolean;
}

const cases: Case[] = [
  { name: 'forward      [2176,128]x[128,256]', a: [2176, 128], b: [128, 256] },
  { name: 'transposeB   [2176,128]x[256,128]T', a: [2176, 128], b: [256, 128], transposeB: true },
  { name: 'transposeA   [2176,256]T x[2176,128]', a: [2176, 256], b: [2176, 128], transposeA: true },
  { name: 'attn batched [512,17,32]x[512,32,17]', a: [512, 17, 32], b: [512, 32, 17] },
  { name: 'attn q.kT    [512,17,32]x[512,17,32]T', a: [512, 17, 32], b: [512, 17, 32], transposeB: true },
];

/** The kernel matmul had before this benchmark was written: one output cell per thread, loop over K. */
function naiveSource(m: number, k: number, n: number, transposeA: boolean, transposeB: boolean, batchedB: boolean): string {
  const aIdx = transposeA ? `aBase + l * ${m} + r` : `aBase + r * ${k} + l`;
  const bIdx = transposeB ? `bBase + c * ${k} + l` : `bBase + l * ${n} + c`;
  return (
    `function (a, b) {\n  const i = this.thread.x;\n  const bt = Math.floor(i / ${m * n});\n  const rc = i - bt * ${m * n};\n  const r = Math.floor(rc / ${n});\n  const c = rc - r * ${n};\n` +
    `  const aBase = bt * ${m * k};\n  const bBase = ${batchedB ? `bt * ${k * n}` : '0'};\n` +
    `  let acc = 0.0;\n  for (let l = 0; l < ${k}; l++) {\n    acc += a[${aIdx}] * b[${bIdx}];\n  }\n  return acc;\n}`
  );
}

function reference(c: Case, a: Float32Array, b: Float32Array, m: number, k: number, n: number, batch: number): Float64Array {
  const out = new Float64Array(batch * m * n);
  const batchedB = c.b.length > 2;
  for (let bt = 0; bt < batch; bt++) {
    for (let r = 0; r < m; r++) {
      for (let col = 0; col < n; col++) {
        let acc = 0;
        for (let l = 0; l < k; l++) {
          const av = a[bt * m * k + (c.transposeA ? l * m + r : r * k + l)];
          const bv = b[(batchedB ? bt * k * n : 0) + (c.transposeB ? col * k + l : l * n + col)];
          acc += av * bv;
        }
        out[(bt * m + r) * n + col] = acc;
      }
    }
  }
  return out;
}

const maxErr = (x: Float32Array, ref: Float64Array) => x.reduce((e, v, i) => Math.max(e, Math.abs(v - ref[i])), 0);
const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[xs.length >> 1];

async function benchBackend(name: BackendName, reps: number): Promise<void> {
  setBackend(name);
  const be = await backend();
  console.log(`\n${be.description}`);
  console.log(`${'case'.padEnd(38)} ${'before GFLOP/s (med/best)'.padEnd(27)} ${'after GFLOP/s (med/best)'.padEnd(27)} speedup  max err before/after`);
  for (const c of cases) {
    const ra = c.a.length;
    const [m, k] = c.transposeA ? [c.a[ra - 1], c.a[ra - 2]] : [c.a[ra - 2], c.a[ra - 1]];
    const n = c.transposeB ? c.b[c.b.length - 2] : c.b[c.b.length - 1];
    const batch = c.a.slice(0, -2).reduce((p, q) => p * q, 1);
    const av = new Float32Array(c.a.reduce((p, q) => p * q)).map((_, i) => Math.sin(i * 0.37));
    const bv = new Float32Array(c.b.reduce((p, q) => p * q)).map((_, i) => Math.cos(i * 0.11));
    const ref = reference(c, av, bv, m, k, n, batch);
    const a = fromTypedArray(av, c.a) as Tensor;
    const b = fromTypedArray(bv, c.b) as Tensor;
    await realize([a, b]);
    const naive = { source: naiveSource(m, k, n, !!c.transposeA, !!c.transposeB, c.b.length > 2), length: batch * m * n };
    const runBefore = async () => {
      const out = await be.run(naive, [a.storage!, b.storage!]);
      const values = await be.read(out);
      be.release(out);
      return values;
    };
    const runAfter = async () => {
      const out = matmul(a, b as never, { transposeA: c.transposeA, transposeB: c.transposeB }) as Tensor;
      const values = await out.data();
      out.dispose();
      return values;
    };
    // two warm-up runs each: compilation, then the tiered-up wasm code
    const errBefore = maxErr(await runBefore(), ref);
    const errAfter = maxErr(await runAfter(), ref);
    await runBefore();
    await runAfter();
    const before: number[] = [];
    const after: number[] = [];
    for (let r = 0; r < reps; r++) {
      let t0 = performance.now();
      await runBefore();
      before.push(performance.now() - t0);
      t0 = performance.now();
      await runAfter();
      after.push(performance.now() - t0);
    }
    const gf = (ms: number) => (2 * batch * m * n * k) / ms / 1e6;
    const fmt = (xs: number[]) => `${gf(median(xs)).toFixed(2)} / ${gf(Math.min(...xs)).toFixed(2)}`.padEnd(27);
    const speedup = `${(median(before) / median(after)).toFixed(1)}x`.padEnd(8);
    console.log(`${c.name.padEnd(38)} ${fmt(before)} ${fmt(after)} ${speedup} ${errBefore.toExponential(1)} / ${errAfter.toExponential(1)}`);
    a.dispose();
    b.dispose();
  }
}

const names = (process.argv[2] ?? 'webasm,cpu').split(',') as BackendName[];
const reps = Number(process.argv[3] ?? 7);
for (const name of names) await benchBackend(name, reps);
process.exit(0);
