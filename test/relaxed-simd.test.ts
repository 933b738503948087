// WebAssembly relaxed SIMD (f32x4.relaxed_madd in the GEMM) against plain SIMD: the same shapes
// run in two child processes, one with --experimental-wasm-relaxed-simd (Node 20's switch) and one
// with relaxed SIMD off (SHAPED_VIT_RELAXED_SIMD=0, for engines that have it on anyway); both must
// match a float64 reference and each other. The CLI turns the feature on for itself.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { operands, plans, reference } from './support/relaxed-simd-child.js';
import { backendsUnderTest } from './support/backends.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const child = path.join(here, 'support/relaxed-simd-child.js');
const onWebasm = backendsUnderTest.includes('webasm') ? test : test.skip;

interface Result {
  readonly relaxed: boolean;
  readonly description: string;
  readonly gemms: number[][];
  readonly graph: { loss: number; dw: number[] };
}

function run(nodeFlags: string[], env: Record<string, string>): Result {
  const out = execFileSync(process.execPath, [...nodeFlags, child], { env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 256 << 20, timeout: 120_000 });
  const r = JSON.parse(out.trim().split('\n').at(-1)!);
  return { ...r, gemms: r.gemms.map((b64: string) => Array.from(new Float32Array(new Uint8Array(Buffer.from(b64, 'base64')).buffer))) };
}

onWebasm('GEMM and a differentiated Linear+GELU give the same results with relaxed SIMD and with plain SIMD', (t) => {
  const relaxed = run(['--experimental-wasm-relaxed-simd'], {});
  const plain = run([], { SHAPED_VIT_RELAXED_SIMD: '0' });
  t.true(relaxed.relaxed, 'the flag turns relaxed SIMD on (Node >= 20)');
  t.regex(relaxed.description, /relaxed madd/);
  t.false(plain.relaxed);
  t.notRegex(plain.description, /relaxed/);
  for (const [i, p] of plans.entries()) {
    const [a, b] = operands(p, 100 + i);
    const ref = reference(p, a, b);
    // float32 sums of k products of values in [-1, 1): rounding grows like k·eps per element at worst
    const tol = 4 * p.k * 2 ** -24;
    for (const [name, got] of [['relaxed', relaxed.gemms[i]], ['plain', plain.gemms[i]]] as const) {
      const err = got.reduce((e, v, j) => Math.max(e, Math.abs(v - ref[j])), 0);
      t.true(err <= tol, `${name} GEMM ${JSON.stringify(p)}: max error ${err} > ${tol}`);
    }
    const apart = relaxed.gemms[i].reduce((e, v, j) => Math.max(e, Math.abs(v - plain.gemms[i][j])), 0);
    t.true(apart <= 2 * tol, `GEMM ${i}: relaxed and plain differ by ${apart}`);
  }
  t.true(Math.abs(relaxed.graph.loss - plain.graph.loss) <= 1e-4 * Math.abs(plain.graph.loss), `loss ${relaxed.graph.loss} vs ${plain.graph.loss}`);
  const apart = relaxed.graph.dw.reduce((e, v, j) => Math.max(e, Math.abs(v - plain.graph.dw[j])), 0);
  t.true(apart <= 1e-4, `gradient differs by ${apart}`);
});

onWebasm('the CLI turns relaxed SIMD on for itself, without a flag on the command line', (t) => {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', `
    const { enableRelaxedSimd } = await import(${JSON.stringify(path.join(here, '../src/cli/relaxed-simd.js'))});
    const { relaxedSimd } = await import(${JSON.stringify(path.join(here, '../src/dsl/kernels/wasm-features.js'))});
    console.log(JSON.stringify([enableRelaxedSimd(), relaxedSimd()]));`], { encoding: 'utf8', timeout: 60_000 });
  t.deepEqual(JSON.parse(out), [true, true]);
});
