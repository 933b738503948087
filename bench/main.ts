// npm run bench -- [--configs quick,small,seed] [--backends webasm,cpu] [--batch 128] [--steps 3] [--warmup 1] [--warmup-s 8] [--json]
//                  [--vs tfjs|tfjs-xnn] [--profile] [--executor auto|pipeline|kernels]
// Training throughput (forward + backward + Adam on a fixed synthetic batch; trainStep, compiled with
// jit, and the natural loop that builds its graph each step and only reads the loss) and forward-only
// throughput of the ViT, per config and backend. Reports the median step after warm-up.
// --vs tfjs runs ../shared/bench/tfjs-vit (stock and --grad xnn; --vs tfjs-xnn only the latter) on the same configs and batch in
// this invocation and prints our ratio to each; --profile prints time per kernel kind for one step.
import { execFileSync } from 'node:child_process';
import { availableBackends, type BackendName } from '../src/index.js';
import { tfjsVitDir } from './tfjs.js';
import { configs, measure, type ConfigName } from './measure.js';
import { parseFlags } from '../src/cli/flags.js';
import { enableRelaxedSimd } from '../src/cli/relaxed-simd.js';
import { relaxedSimd } from '../src/dsl/kernels/wasm-features.js';
import { existsSync, readFileSync } from 'node:fs';

const spec = {
  configs: { type: 'string', default: 'quick,small', help: 'comma-separated: quick, small (tfjs-vit\'s "small"), seed' },
  backends: { type: 'string', help: 'comma-separated backends (default: all usable)' },
  batch: { type: 'int', default: 128, min: 1, help: 'batch size' },
  steps: { type: 'int', default: 3, min: 1, help: 'timed steps' },
  warmup: { type: 'int', default: 1, min: 0, help: 'untimed steps first (kernel compilation)' },
  'warmup-s': { type: 'int', default: 8, min: 0, help: "untimed steps for at least these seconds too (V8's optimization of the natural loop's JavaScript)" },
  json: { type: 'bool', help: 'one JSON line per result' },
  vs: { type: 'string', help: 'tfjs: also run TF.js-wasm (tfjs-vit, stock and tuned gradients) on the same configs; tfjs-xnn: tuned gradients only (the seed config\'s stock run takes minutes a step)' },
  profile: { type: 'bool', help: 'print time per kernel kind for one training step' },
  executor: { type: 'string', default: 'auto', help: "how the jitted step runs: auto, pipeline (one gpu.js pipeline) or kernels (one by one)" },
} as const;

// peak resident memory of the process so far (earlier configs included) and its live threads
const peakRssMiB = () => Math.round(process.resourceUsage().maxRSS / 1024);
const threads = () => (existsSync('/proc/self/status') ? Number(/Threads:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]) : undefined);


/** tfjs-vit's bench.js on wasm (its configs: small, seed): img/s with stock and with tuned (xnn) gradients. */
function tfjsTrain(config: ConfigName, batch: number, steps: number, warmup: number, stock: boolean) {
  const run = (grad: string) => {
    const args = ['bench.js', '--backend', 'wasm', '--config', config, '--batch', String(batch), '--steps', String(steps), '--warmup', String(Math.max(warmup, 2)), '--grad', grad];
    const out = execFileSync(process.execPath, args, { cwd: tfjsVitDir(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return JSON.parse(out.trim().split('\n').at(-1)!).img_per_s as number;
  };
  return { tfjs_wasm_img_per_s: stock ? run('autodiff') : undefined, tfjs_wasm_xnn_img_per_s: run('xnn') };
}

const parsed = parseFlags(spec, process.argv.slice(2));
if (parsed.help) process.exit(0);
const f = parsed.flags;
enableRelaxedSimd();
if (f.executor !== 'auto' && f.executor !== 'pipeline' && f.executor !== 'kernels') throw new Error(`--executor: auto, pipeline or kernels, got '${f.executor}'`);
if (f.vs !== undefined && f.vs !== 'tfjs' && f.vs !== 'tfjs-xnn') throw new Error(`--vs: 'tfjs' or 'tfjs-xnn', got '${f.vs}'`);
const backends = f.backends ? (f.backends.split(',') as BackendName[]) : await availableBackends();
for (const name of f.configs.split(',') as ConfigName[]) {
  if (!(name in configs)) throw new Error(`unknown config ${name} (quick, small, seed)`);
  // tfjs-vit has the small and seed configs; it runs first, alone, then ours
  const tf = f.vs && name !== 'quick' ? tfjsTrain(name, f.batch, f.steps, f.warmup, f.vs === 'tfjs') : null;
  if (f.vs && !tf) console.log(`${name}: tfjs-vit has no such config, no comparison`);
  for (const b of backends) {
    const res = { ...(await measure(name, b, f.batch, f.steps, f.warmup, !!f.profile, f.executor, f.warmupS)), peak_rss_mib: peakRssMiB(), threads: threads(), relaxed_simd: relaxedSimd(), ...tf };
    if (f.json) console.log(JSON.stringify(res));
    else {
      console.log(`${res.config.padEnd(6)} ${b.padEnd(8)} batch ${res.batch}: train (jit${f.executor === 'auto' ? '' : `, ${f.executor}`}) ${res.train_ms_per_step} ms/step (${res.train_img_per_s} img/s; natural loop ${res.natural_loop_img_per_s} img/s, ${(res.natural_loop_img_per_s / res.train_img_per_s).toFixed(2)}x), forward ${res.forward_ms} ms (${res.forward_img_per_s} img/s), peak RSS ${res.peak_rss_mib} MiB, ${res.threads ?? '?'} threads${b === 'webasm' ? `, relaxed SIMD ${res.relaxed_simd ? 'on' : 'off'}` : ''}`);
      if (tf) {
        const ratio = (x: number) => (res.train_img_per_s / x).toFixed(2);
        const stock = tf.tfjs_wasm_img_per_s === undefined ? '' : `${tf.tfjs_wasm_img_per_s} img/s (stock gradients), `;
        const stockRatio = tf.tfjs_wasm_img_per_s === undefined ? '' : `${ratio(tf.tfjs_wasm_img_per_s)}x stock, `;
        console.log(`${''.padEnd(6)} TF.js-wasm train ${stock}${tf.tfjs_wasm_xnn_img_per_s} img/s (--grad xnn): ours ${stockRatio}${ratio(tf.tfjs_wasm_xnn_img_per_s)}x tuned`);
      }
    }
  }
}
process.exit(0);
