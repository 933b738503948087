// node build/bench/gemm-ab.js --against DIR [--config quick] [--rounds 3] [--reps 15] [--threads 1] [--storage]
// A/B of webasm's GEMM between this checkout's build and another built checkout (DIR: e.g. a
// `git worktree` of main): the matmul shapes of a config's training step (vit-matmuls.ts), each
// called through gemm() directly (operands copied in and the product out, as a step does), in child
// processes alternating which build goes first, so load hits both alike. Per shape the best of
// `reps` calls after 10 warm-ups (the median over rounds), as GFLOP/s, and the step's matmul time
// (each shape times its calls per step). --threads 1 keeps each GEMM on one thread. --storage puts
// the operands and the product where webasm's storage is (a build with kernels/wasm-arrays.ts: blocks of
// the thread team's memory, read and written in place; a build without it: arrays of their own).
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseFlags } from '../src/cli/flags.js';
import { enableRelaxedSimd } from '../src/cli/relaxed-simd.js';
import type { gemm as Gemm } from '../src/dsl/kernels/webasm-gemm.js';
import type { heapArrays as HeapArraysOf } from '../src/dsl/kernels/wasm-arrays.js';
import { flopsOf, matmulsOfConfigFlag, planOf, type Case } from './vit-matmuls.js';

const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[(xs.length - 1) >> 1];
const thisRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const gemmModule = (root: string) => pathToFileURL(path.join(root, 'build/src/dsl/kernels/webasm-gemm.js')).href;

/** In a child: time every case with the GEMM of the build at `root`, print the best ms of each. */
async function child(root: string, cases: readonly Case[], reps: number, storage: boolean): Promise<void> {
  enableRelaxedSimd();
  const { gemm } = (await import(gemmModule(root))) as { gemm: typeof Gemm };
  const arrays = storage ? await import(pathToFileURL(path.join(root, 'build/src/dsl/kernels/wasm-arrays.js')).href).then((m: { heapArrays: typeof HeapArraysOf }) => m.heapArrays(), () => null) : null;
  const array = (length: number, value: (i: number) => number) => {
    const out = arrays?.take(length) ?? new Float32Array(length);
    for (let i = 0; i < length; i++) out[i] = value(i);
    return out;
  };
  const ms: number[] = [];
  for (const c of cases) {
    const p = planOf(c);
    const a = array(p.batch * p.m * p.k, (i) => Math.sin(i * 0.37));
    const b = array((p.batchedB ? p.batch : 1) * p.k * p.n, (i) => Math.cos(i * 0.11));
    const out = array(p.batch * p.m * p.n, () => 0);
    // compiled, then tiered up (a shape's first half second runs slower here)
    const warm = performance.now();
    for (let w = 0; w < 10 || performance.now() - warm < 500; w++) await gemm(p, a, b, out);
    let best = Infinity;
    for (let r = 0; r < reps; r++) {
      const t0 = performance.now();
      await gemm(p, a, b, out);
      best = Math.min(best, performance.now() - t0);
    }
    ms.push(best);
  }
  console.log(JSON.stringify({ ms }));
}

const spec = {
  against: { type: 'string', required: true, help: 'the other checkout (built) whose GEMM is the A side' },
  config: { type: 'string', default: 'quick', help: 'the config whose step\'s matmuls are timed (quick, small, seed)' },
  rounds: { type: 'int', default: 3, min: 1, help: 'child processes per build (alternating)' },
  reps: { type: 'int', default: 15, min: 1, help: 'timed calls per shape in a child' },
  threads: { type: 'int', min: 1, help: 'SHAPED_VIT_GEMM_THREADS for the children (default: the whole team)' },
  storage: { type: 'bool', help: 'operands and product where webasm storage is (in the team memory, where the build has it)' },
  child: { type: 'string', help: 'internal: run the measurement here with the build at this root' },
} as const;
const parsed = parseFlags(spec, process.argv.slice(2));
if (parsed.help) process.exit(0);
const f = parsed.flags;
const cases = matmulsOfConfigFlag(f.config);
if (f.child) {
  await child(f.child, cases, f.reps, f.storage);
  process.exit(0);
}
const builds = [
  { name: 'against', root: path.resolve(f.against) },
  { name: 'this', root: thisRoot },
];
const runs = new Map<string, number[][]>(builds.map((b) => [b.name, []]));
for (let round = 0; round < f.rounds; round++) {
  for (const b of round % 2 ? [...builds].reverse() : builds) {
    const env = { ...process.env, ...(f.threads ? { SHAPED_VIT_GEMM_THREADS: String(f.threads) } : {}) };
    const args = [fileURLToPath(import.meta.url), '--against', f.against, '--child', b.root, '--config', f.config, '--reps', String(f.reps), ...(f.storage ? ['--storage'] : [])];
    const out = execFileSync(process.execPath, args, { env, encoding: 'utf8' });
    runs.get(b.name)!.push((JSON.parse(out.trim().split('\n').at(-1)!) as { ms: number[] }).ms);
  }
}
const ms = (name: string, k: number) => median(runs.get(name)!.map((r) => r[k]));
console.log(`webasm GEMM, ${f.config} config's step matmuls: ${builds[0].root} (A) vs ${thisRoot} (B), ${f.threads ? `${f.threads} thread(s)` : 'thread team'}${f.storage ? ', operands where webasm storage is' : ''}`);
console.log(`GFLOP/s, best of ${f.reps} calls, median of ${f.rounds} alternating rounds`);
console.log(`${'case x calls per step'.padEnd(46)} ${'A'.padStart(7)} ${'B'.padStart(7)}  B/A`);
const step = { against: 0, this: 0 };
for (const [k, c] of cases.entries()) {
  const [a, b] = [ms('against', k), ms('this', k)];
  step.against += c.calls * a;
  step.this += c.calls * b;
  const gf = (t: number) => (flopsOf(c) / t / 1e6).toFixed(2).padStart(7);
  console.log(`${`${c.name} x${c.calls}`.padEnd(46)} ${gf(a)} ${gf(b)}  ${(a / b).toFixed(2)}`);
}
console.log(`one step's matmuls: A ${step.against.toFixed(2)} ms, B ${step.this.toFixed(2)} ms, B/A speed ${(step.against / step.this).toFixed(2)}`);
process.exit(0);
