// node build/bench/compare.js --config small|seed [--batch 128|16,128,256] [--steps 5] [--warmup 2] [--warmup-s 8] [--rounds 1]
//                             [--torch-threads 1,2] [--skip tfjs,jaxjs,torch] [--python /usr/bin/python3] [--json]
// One sitting, one config: training throughput (forward + label-smoothed CE + backward + Adam on a
// fixed synthetic batch) of shaped-vit (webasm: jitted trainStep and the natural loop), TF.js-wasm
// with tuned gradients (../shared/bench/tfjs-vit --grad xnn), jax-js (../shared/bench/jaxjs-vit, the
// same model) and PyTorch CPU (../shared/bench/torch-vit/bench.py, at each thread count), one after
// the other, each in its own process; prints the README's table (img/s and our ratios) and the command.
// --rounds N repeats the whole sequence N times (alternating, so load hits each alike) and reports
// each implementation's median over the rounds.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FlagError, helpText, parseFlags } from '../src/cli/flags.js';
import { peerBenchDir, sharedBench } from './peers.js';

const spec = {
  config: { type: 'enum', values: ['small', 'seed'], default: 'small', help: "tfjs-vit's small (P8 E128 H4 D256 L4) or the seed config (6,306,442 params)" },
  batch: { type: 'string', default: '128', help: 'batch size, or comma-separated sizes (a table row each, e.g. 16,128,256)' },
  steps: { type: 'int', default: 5, min: 1, help: 'timed steps per implementation' },
  warmup: { type: 'int', default: 2, min: 1, help: 'untimed steps first (compilation, tracing)' },
  'warmup-s': { type: 'int', default: 8, min: 0, help: "ours: untimed steps for at least these seconds too (bench/main.js --warmup-s: V8's optimization of the natural loop)" },
  rounds: { type: 'int', default: 1, min: 1, help: 'repeat the whole sequence; the median of the rounds is reported' },
  'torch-threads': { type: 'string', default: '1,2', help: 'comma-separated PyTorch thread counts (each its own run)' },
  skip: { type: 'string', default: '', help: 'comma-separated implementations not to run: ours, tfjs, jaxjs, torch' },
  python: { type: 'string', default: '/usr/bin/python3', help: 'the Python with torch' },
  'timeout-s': { type: 'int', default: 1800, min: 1, help: 'per implementation run' },
  json: { type: 'bool', help: 'also print one JSON line with every number' },
} as const;

/** Bad usage: one line and exit status 2. */
function usageError(message: string): never {
  console.error(`compare: ${message}`);
  process.exit(2);
}
let parsed;
try {
  parsed = parseFlags(spec, process.argv.slice(2));
} catch (e) {
  usageError(e instanceof FlagError ? e.message : String(e));
}
if (parsed.help) {
  console.log(helpText(spec, 'node build/bench/compare.js --config small|seed [flags]'));
  process.exit(0);
}
const f = parsed.flags;
const skip = new Set(f.skip.split(',').filter(Boolean));
for (const s of skip) if (!['ours', 'tfjs', 'jaxjs', 'torch'].includes(s)) usageError(`--skip: ours, tfjs, jaxjs or torch, got '${s}'`);
const positive = (list: string, flag: string) => {
  const xs = list.split(',').map(Number);
  if (xs.some((x) => !Number.isInteger(x) || x < 1)) usageError(`--${flag}: comma-separated positive integers, got '${list}'`);
  return xs;
};
const torchThreads = positive(f.torchThreads, 'torch-threads');
const batches = positive(f.batch, 'batch');
const here = path.dirname(fileURLToPath(import.meta.url));
const { config, steps, warmup } = f;

/** The last stdout line of a run, parsed as JSON; stderr is kept for the error message only. */
function lastJson(file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  const out = execFileSync(file, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: f.timeoutS * 1000, maxBuffer: 64 << 20 });
  return JSON.parse(out.trim().split('\n').at(-1)!);
}

interface Column {
  readonly name: string;
  readonly run: (batch: number) => Record<string, number | boolean>;
}

const common = (batch: number) => ['--config', config, '--batch', String(batch), '--steps', String(steps), '--warmup', String(warmup)];
const columns: Column[] = [];
if (!skip.has('ours')) {
  columns.push({
    name: 'shaped-vit',
    run: (batch) => {
      const r = lastJson(process.execPath, [path.join(here, 'main.js'), '--configs', config, '--backends', 'webasm', '--batch', String(batch), '--steps', String(steps), '--warmup', String(warmup), '--warmup-s', String(f.warmupS), '--json'], process.cwd());
      return { jitted: r.train_img_per_s as number, natural: r.natural_loop_img_per_s as number, relaxed_simd: r.relaxed_simd as boolean };
    },
  });
}
if (!skip.has('tfjs')) {
  const dir = peerBenchDir('tfjs-vit', 'node_modules/@tensorflow/tfjs-backend-wasm');
  console.error(`TF.js-wasm: ${dir}/bench.js (copy of ../shared/bench/tfjs-vit)`);
  columns.push({ name: 'TF.js', run: (batch) => ({ tuned: lastJson(process.execPath, ['bench.js', '--backend', 'wasm', ...common(batch), '--grad', 'xnn'], dir).img_per_s as number }) });
}
if (!skip.has('jaxjs')) {
  const dir = peerBenchDir('jaxjs-vit', 'node_modules/@jax-js/jax');
  console.error(`jax-js: ${dir}/bench.js (copy of ../shared/bench/jaxjs-vit)`);
  columns.push({ name: 'jax-js', run: (batch) => ({ wasm: lastJson(process.execPath, ['bench.js', ...common(batch)], dir).img_per_s as number }) });
}
if (!skip.has('torch')) {
  const dir = sharedBench('torch-vit', 'bench.py');
  // torch-vit names tfjs-vit's small config "quick"; it is read in place (nothing to install)
  const torchArgs = (batch: number) => [path.join(dir, 'bench.py'), ...common(batch).with(1, config === 'small' ? 'quick' : 'seed'), '--device', 'cpu'];
  for (const t of torchThreads) {
    const env = { ...process.env, OMP_NUM_THREADS: String(t), OPENBLAS_NUM_THREADS: String(t), MKL_NUM_THREADS: String(t) };
    columns.push({ name: `PyTorch ${t}t`, run: (batch) => ({ threads: t, img_per_s: lastJson(f.python, torchArgs(batch), dir, env).img_per_s as number }) });
  }
}

const versions: Record<string, string> = { node: process.version };
if (!skip.has('torch')) {
  try {
    versions.torch = execFileSync(f.python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' }).trim();
  } catch (e) {
    versions.torch = `unavailable (${(e as Error).message.split('\n')[0]})`;
  }
}

type Result = Record<string, number | boolean> | string;
const results = new Map<string, Result[]>();
const key = (name: string, batch: number) => `${name} @ ${batch}`;
for (let round = 1; round <= f.rounds; round++) {
  for (const batch of batches) {
    for (const c of columns) {
      console.error(`round ${round}/${f.rounds}, batch ${batch}: ${c.name} ...`);
      let r: Result;
      try {
        r = c.run(batch);
      } catch (e) {
        const err = e as Error & { stderr?: string };
        r = `failed: ${(err.stderr?.trim().split('\n').at(-1) ?? err.message).slice(0, 200)}`;
      }
      console.error(`  ${typeof r === 'string' ? r : JSON.stringify(r)}`);
      results.set(key(c.name, batch), [...(results.get(key(c.name, batch)) ?? []), r]);
    }
  }
}

const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[(xs.length - 1) >> 1];
/** The median over the rounds that succeeded of one field, or the first failure when none did. */
function value(name: string, batch: number, field: string): number | string | undefined {
  const rs = results.get(key(name, batch));
  if (!rs) return undefined;
  const ok = rs.filter((r): r is Record<string, number> => typeof r !== 'string').map((r) => r[field]);
  return ok.length ? median(ok) : (rs[0] as string);
}

const cell = (v: number | string | undefined) => (v === undefined ? 'skipped' : typeof v === 'number' ? v.toLocaleString('en-US', { maximumFractionDigits: 1 }) : v);
const ratio = (a: unknown, b: unknown) => (typeof a === 'number' && typeof b === 'number' ? `${(a / b).toFixed(2)}×` : '–');
const threadsLabel = (t: number) => `${t} thread${t > 1 ? 's' : ''}`;
const configLabel = config === 'small' ? 'small (P8 E128 H4 D256 L4)' : 'seed (6,306,442 params)';
const command = `node ${path.relative(process.cwd(), process.argv[1]) || process.argv[1]} ${process.argv.slice(2).join(' ')}`.trim();
const relaxed = [...results.entries()].some(([k, rs]) => k.startsWith('shaped-vit') && rs.some((r) => typeof r !== 'string' && r.relaxed_simd));

console.log(`\ntraining img/s, ${steps} timed steps after ${warmup} warm-up (ours: and at least ${f.warmupS} s), ${f.rounds === 1 ? 'one round' : `median of ${f.rounds} rounds`}; Node ${versions.node}; shaped-vit on webasm, relaxed SIMD ${relaxed ? 'on' : 'off'}; one sitting`);
const head = ['config', 'batch', 'shaped-vit (jitted)', 'natural loop', 'TF.js-wasm tuned', 'jax-js 0.1.25 (wasm)', ...torchThreads.map((t) => `PyTorch ${versions.torch ?? ''} CPU, ${threadsLabel(t)}`)];
console.log(`| ${head.join(' | ')} |`);
console.log(`|${head.map(() => '---').join('|')}|`);
const summaries: string[] = [];
for (const batch of batches) {
  const ours = value('shaped-vit', batch, 'jitted');
  const natural = value('shaped-vit', batch, 'natural');
  const peers = { 'TF.js-wasm tuned': value('TF.js', batch, 'tuned'), 'jax-js': value('jax-js', batch, 'wasm') };
  const torch = torchThreads.map((t) => ({ t, v: value(`PyTorch ${t}t`, batch, 'img_per_s') }));
  const torchNumbers = torch.filter((x): x is { t: number; v: number } => typeof x.v === 'number');
  const best = torchNumbers.length ? torchNumbers.reduce((a, b) => (b.v > a.v ? b : a)) : undefined;
  const torchCells = torch.map(({ t, v }) => `${cell(v)}${best?.t === t && torchNumbers.length > 1 ? ' (best)' : ''}`);
  console.log(`| ${[configLabel, batch, cell(ours), `${cell(natural)} (${ratio(natural, ours)})`, ...Object.values(peers).map(cell), ...torchCells].join(' | ')} |`);
  const ratios = [...Object.entries(peers).map(([k, v]) => `${ratio(ours, v)} ${k}`), best ? `${ratio(ours, best.v)} PyTorch's best (${threadsLabel(best.t)})` : undefined].filter(Boolean);
  summaries.push(`batch ${batch}: shaped-vit (jitted) = ${ratios.join(', ')}; natural loop / jitted = ${ratio(natural, ours)}`);
}
for (const line of summaries) console.log(line);
console.log(`command: ${command}`);
if (f.json) console.log(JSON.stringify({ config, batches, steps, warmup, warmup_s: f.warmupS, rounds: f.rounds, versions, results: Object.fromEntries(results) }));
process.exit(0);
