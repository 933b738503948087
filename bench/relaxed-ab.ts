// node build/bench/relaxed-ab.js [--rounds 3] [--reps 7] [--threads 1] [--config small]
// A/B of webasm's GEMM with relaxed SIMD (f32x4.relaxed_madd) against plain SIMD (mul + add) on the
// matmul shapes of a ViT config's training step (vit-matmuls.ts): each round runs one child process per variant, alternating which goes first,
// so load hits both alike; GFLOP/s is the median over rounds of each child's median of `reps` calls.
// --threads 1 keeps each GEMM on one thread (SHAPED_VIT_GEMM_THREADS=1).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseFlags } from '../src/cli/flags.js';
import { enableRelaxedSimd } from '../src/cli/relaxed-simd.js';
import { relaxedSimd } from '../src/dsl/kernels/wasm-features.js';
import { gemm } from '../src/dsl/kernels/webasm-gemm.js';
import { flopsOf, matmulsOfConfigFlag, planOf, type Case } from './vit-matmuls.js';

const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[(xs.length - 1) >> 1];

/** In a child: enable relaxed SIMD unless told not to, time every case, print the ms medians. */
async function child(cases: readonly Case[], reps: number): Promise<void> {
  enableRelaxedSimd();
  const ms: number[] = [];
  for (const c of cases) {
    const p = planOf(c);
    const a = new Float32Array(p.batch * p.m * p.k).map((_, i) => Math.sin(i * 0.37));
    const b = new Float32Array((p.batchedB ? p.batch : 1) * p.k * p.n).map((_, i) => Math.cos(i * 0.11));
    for (let w = 0; w < 2; w++) await gemm(p, a, b);
    const times: number[] = [];
    for (let r = 0; r < reps; r++) {
      const t0 = performance.now();
      await gemm(p, a, b);
      times.push(performance.now() - t0);
    }
    ms.push(median(times));
  }
  console.log(JSON.stringify({ relaxed: relaxedSimd(), ms }));
}

const spec = {
  rounds: { type: 'int', default: 3, min: 1, help: 'child processes per variant (alternating)' },
  reps: { type: 'int', default: 7, min: 1, help: 'timed calls per shape in a child' },
  threads: { type: 'int', min: 1, help: 'SHAPED_VIT_GEMM_THREADS for the children (default: the whole team)' },
  config: { type: 'string', default: 'small', help: 'the config whose step\'s matmuls are timed (quick, small, seed)' },
  child: { type: 'bool', help: 'internal: run the measurement here' },
} as const;
const parsed = parseFlags(spec, process.argv.slice(2));
if (parsed.help) process.exit(0);
const f = parsed.flags;
const cases = matmulsOfConfigFlag(f.config);
if (f.child) {
  await child(cases, f.reps);
  process.exit(0);
}
const variants = [
  { name: 'relaxed', env: {} },
  { name: 'plain', env: { SHAPED_VIT_RELAXED_SIMD: '0' } },
];
const runs = new Map<string, number[][]>(variants.map((v) => [v.name, []]));
for (let round = 0; round < f.rounds; round++) {
  for (const v of round % 2 ? [...variants].reverse() : variants) {
    const env = { ...process.env, ...v.env, ...(f.threads ? { SHAPED_VIT_GEMM_THREADS: String(f.threads) } : {}) };
    const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--child', '--reps', String(f.reps), '--config', f.config], { env, encoding: 'utf8' });
    const r = JSON.parse(out.trim().split('\n').at(-1)!) as { relaxed: boolean; ms: number[] };
    if (r.relaxed !== (v.name === 'relaxed')) throw new Error(`the ${v.name} child ran with relaxed SIMD ${r.relaxed ? 'on' : 'off'} (engine without relaxed SIMD?)`);
    runs.get(v.name)!.push(r.ms);
  }
}
console.log(`webasm GEMM GFLOP/s, relaxed SIMD vs plain SIMD, ${f.threads ? `${f.threads} thread(s)` : 'thread team'}, median of ${f.rounds} alternating rounds x ${f.reps} calls`);
console.log(`${'case'.padEnd(44)} ${'relaxed'.padStart(8)} ${'plain'.padStart(8)}  relaxed/plain`);
const gf = (name: string, k: number) => flopsOf(cases[k]) / median(runs.get(name)!.map((ms) => ms[k])) / 1e6;
const ratios: number[] = [];
for (const [k, c] of cases.entries()) {
  const [r, p] = [gf('relaxed', k), gf('plain', k)];
  ratios.push(r / p);
  console.log(`${c.name.padEnd(44)} ${r.toFixed(2).padStart(8)} ${p.toFixed(2).padStart(8)}  ${(r / p).toFixed(2)}`);
}
console.log(`geometric mean relaxed/plain: ${Math.exp(ratios.reduce((s, x) => s + Math.log(x), 0) / ratios.length).toFixed(3)}`);
process.exit(0);
