// npm run bench -- [--configs quick,small,seed] [--backends webasm,cpu] [--batch 128] [--steps 3] [--warmup 1] [--json]
//                  [--vs tfjs] [--profile]
// Training throughput (forward + backward + Adam on a fixed synthetic batch; trainStep, which
// realizes everything at once, and the natural loop that only reads the loss) and forward-only
// throughput of the ViT, per config and backend. Reports the median step after warm-up.
// --vs tfjs runs ../shared/bench/tfjs-vit (stock and --grad xnn) on the same configs and batch in
// this invocation and prints our ratio to each; --profile prints time per kernel kind for one step.
import { execFileSync } from 'node:child_process';
import { availableBackends, constant, crossEntropy, disposeTree, labelTensor, mean, profile, setBackend, valueAndGrad, vit, type BackendName } from '../src/index.js';
import { tfjsVitDir } from './tfjs.js';
import { adam, applyUpdates } from '../src/train/optim.js';
import { evalStep, initTrainState, trainStep } from '../src/train/step.js';
import { presets } from '../src/train/presets.js';
import { parseFlags } from '../src/cli/flags.js';
import { existsSync, readFileSync } from 'node:fs';

const spec = {
  configs: { type: 'string', default: 'quick,small', help: 'comma-separated: quick, small (tfjs-vit\'s "small"), seed' },
  backends: { type: 'string', help: 'comma-separated backends (default: all usable)' },
  batch: { type: 'int', default: 128, min: 1, help: 'batch size' },
  steps: { type: 'int', default: 3, min: 1, help: 'timed steps' },
  warmup: { type: 'int', default: 1, min: 0, help: 'untimed steps first (kernel compilation)' },
  json: { type: 'bool', help: 'one JSON line per result' },
  vs: { type: 'string', help: 'tfjs: also run TF.js-wasm (tfjs-vit, stock and tuned gradients) on the same configs' },
  profile: { type: 'bool', help: 'print time per kernel kind for one training step' },
} as const;

// peak resident memory of the process so far (earlier configs included) and its live threads
const peakRssMiB = () => Math.round(process.resourceUsage().maxRSS / 1024);
const threads = () => (existsSync('/proc/self/status') ? Number(/Threads:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]) : undefined);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// tfjs-vit's "small" config (../shared/bench/tfjs-vit), for side-by-side numbers
const configs = { ...presets, small: { ...presets.seed, embedDim: 128, heads: 4, mlpDim: 256, layers: 4 } };
type ConfigName = keyof typeof configs;

async function measure(name: ConfigName, backend: BackendName, batch: number, steps: number, warmup: number, profiled: boolean) {
  setBackend(backend);
  const r = configs[name];
  const cfg = vit.config({ imageSize: 32, patchSize: r.patchSize, channels: 3, embedDim: r.embedDim, heads: r.heads, mlpDim: r.mlpDim, layers: r.layers, classes: 10 } as never);
  const optimizer = adam({ betas: r.betas, weightDecay: r.weightDecay });
  let state = await initTrainState(vit.init(cfg, { seed: 0 }) as never, optimizer);
  const images = new Float32Array(batch * 3072);
  for (let k = 0; k < images.length; k++) images[k] = Math.sin(k * 12.9898) * 1.5;
  const data = { images, labels: Array.from({ length: batch }, (_, i) => i % 10), count: batch };
  const step = trainStep(cfg as never, optimizer, { labelSmoothing: r.labelSmoothing });
  const forward = evalStep(cfg as never, { labelSmoothing: r.labelSmoothing });
  // the loop a user writes first: valueAndGrad, the optimizer's update as tensor ops, read the
  // loss with data(); no realize (the new state is a pending sibling of the loss)
  let natural = await initTrainState(vit.init(cfg, { seed: 0 }) as never, optimizer);
  const naturalStep = async () => {
    const x = constant(images, [batch, 3, 32, 32]);
    const y = labelTensor(data.labels, 10, batch);
    const lossOf = (p: typeof natural.params) => mean(crossEntropy(vit.apply(cfg as never, p, x as never, { train: true, seed: 0 }) as never, y, r.labelSmoothing), 0);
    const [loss, grads] = valueAndGrad(lossOf)(natural.params);
    const [updates, opt] = optimizer.update(grads, natural.opt as never, natural.params, { count: natural.step + 1, learningRate: r.lr });
    const params = applyUpdates(natural.params, updates);
    await loss.data();
    loss.dispose();
    disposeTree([natural.params, natural.opt]);
    natural = { params, opt, step: natural.step + 1 };
  };
  const trainMs: number[] = [];
  const naturalMs: number[] = [];
  const forwardMs: number[] = [];
  for (let s = 0; s < warmup + steps; s++) {
    let t0 = performance.now();
    [state] = await step(state, data, r.lr);
    if (s >= warmup) trainMs.push(performance.now() - t0);
    t0 = performance.now();
    await naturalStep();
    if (s >= warmup) naturalMs.push(performance.now() - t0);
    t0 = performance.now();
    await forward(state.params, data);
    if (s >= warmup) forwardMs.push(performance.now() - t0);
  }
  disposeTree([natural.params, natural.opt]);
  if (profiled) {
    const [, entries] = await profile(async () => ([state] = await step(state, data, r.lr)));
    const total = entries.reduce((t, e) => t + e.ms, 0);
    console.log(`profile: one ${name} training step on ${backend}, ${total.toFixed(0)} ms in kernels`);
    for (const e of entries) console.log(`  ${e.kernel.padEnd(48)} ${e.ms.toFixed(1).padStart(9)} ms ${((100 * e.ms) / total).toFixed(1).padStart(5)}% ${String(e.calls).padStart(5)} calls`);
  }
  const train = median(trainMs);
  const naturalLoop = median(naturalMs);
  const fwd = median(forwardMs);
  return {
    library: 'shaped-vit',
    backend,
    config: name,
    batch,
    params: vit.parameterCount(state.params),
    train_ms_per_step: Math.round(train),
    train_img_per_s: +((batch * 1000) / train).toFixed(2),
    natural_loop_img_per_s: +((batch * 1000) / naturalLoop).toFixed(2),
    forward_ms: Math.round(fwd),
    forward_img_per_s: +((batch * 1000) / fwd).toFixed(2),
    steps,
    peak_rss_mib: peakRssMiB(),
    threads: threads(),
  };
}

/** tfjs-vit's bench.js on wasm (its configs: small, seed): img/s with stock and with tuned (xnn) gradients. */
function tfjsTrain(config: ConfigName, batch: number, steps: number, warmup: number) {
  const run = (grad: string) => {
    const args = ['bench.js', '--backend', 'wasm', '--config', config, '--batch', String(batch), '--steps', String(steps), '--warmup', String(Math.max(warmup, 2)), '--grad', grad];
    const out = execFileSync(process.execPath, args, { cwd: tfjsVitDir(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return JSON.parse(out.trim().split('\n').at(-1)!).img_per_s as number;
  };
  return { tfjs_wasm_img_per_s: run('autodiff'), tfjs_wasm_xnn_img_per_s: run('xnn') };
}

const parsed = parseFlags(spec, process.argv.slice(2));
if (parsed.help) process.exit(0);
const f = parsed.flags;
if (f.vs !== undefined && f.vs !== 'tfjs') throw new Error(`--vs: only 'tfjs' is known, got '${f.vs}'`);
const backends = f.backends ? (f.backends.split(',') as BackendName[]) : await availableBackends();
for (const name of f.configs.split(',') as ConfigName[]) {
  if (!(name in configs)) throw new Error(`unknown config ${name} (quick, small, seed)`);
  // tfjs-vit has the small and seed configs; it runs first, alone, then ours
  const tf = f.vs && name !== 'quick' ? tfjsTrain(name, f.batch, f.steps, f.warmup) : null;
  if (f.vs && !tf) console.log(`${name}: tfjs-vit has no such config, no comparison`);
  for (const b of backends) {
    const res = { ...(await measure(name, b, f.batch, f.steps, f.warmup, !!f.profile)), ...tf };
    if (f.json) console.log(JSON.stringify(res));
    else {
      console.log(`${res.config.padEnd(6)} ${b.padEnd(8)} batch ${res.batch}: train ${res.train_ms_per_step} ms/step (${res.train_img_per_s} img/s; natural loop ${res.natural_loop_img_per_s} img/s, ${(res.natural_loop_img_per_s / res.train_img_per_s).toFixed(2)}x), forward ${res.forward_ms} ms (${res.forward_img_per_s} img/s), peak RSS ${res.peak_rss_mib} MiB, ${res.threads ?? '?'} threads`);
      if (tf) {
        const ratio = (x: number) => (res.train_img_per_s / x).toFixed(2);
        console.log(`${''.padEnd(6)} TF.js-wasm train ${tf.tfjs_wasm_img_per_s} img/s (stock gradients), ${tf.tfjs_wasm_xnn_img_per_s} img/s (--grad xnn): ours ${ratio(tf.tfjs_wasm_img_per_s)}x stock, ${ratio(tf.tfjs_wasm_xnn_img_per_s)}x tuned`);
      }
    }
  }
}
process.exit(0);
