// npm run bench -- [--configs quick,small,seed] [--backends webasm,cpu] [--batch 128] [--steps 3] [--warmup 1] [--json]
// Training throughput (forward + backward + Adam on a fixed synthetic batch) and forward-only
// throughput of the ViT, per config and backend. Reports the median step after warm-up.
import { availableBackends, setBackend, vit, type BackendName } from '../src/index.js';
import { adam } from '../src/train/optim.js';
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
} as const;

// peak resident memory of the process so far (earlier configs included) and its live threads
const peakRssMiB = () => Math.round(process.resourceUsage().maxRSS / 1024);
const threads = () => (existsSync('/proc/self/status') ? Number(/Threads:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]) : undefined);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// tfjs-vit's "small" config (../shared/bench/tfjs-vit), for side-by-side numbers
const configs = { ...presets, small: { ...presets.seed, embedDim: 128, heads: 4, mlpDim: 256, layers: 4 } };
type ConfigName = keyof typeof configs;

async function measure(name: ConfigName, backend: BackendName, batch: number, steps: number, warmup: number) {
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
  const trainMs: number[] = [];
  const forwardMs: number[] = [];
  for (let s = 0; s < warmup + steps; s++) {
    let t0 = performance.now();
    [state] = await step(state, data, r.lr);
    if (s >= warmup) trainMs.push(performance.now() - t0);
    t0 = performance.now();
    await forward(state.params, data);
    if (s >= warmup) forwardMs.push(performance.now() - t0);
  }
  const train = median(trainMs);
  const fwd = median(forwardMs);
  return {
    library: 'shaped-vit',
    backend,
    config: name,
    batch,
    params: vit.parameterCount(state.params),
    train_ms_per_step: Math.round(train),
    train_img_per_s: +((batch * 1000) / train).toFixed(2),
    forward_ms: Math.round(fwd),
    forward_img_per_s: +((batch * 1000) / fwd).toFixed(2),
    steps,
    peak_rss_mib: peakRssMiB(),
    threads: threads(),
  };
}

const parsed = parseFlags(spec, process.argv.slice(2));
if (parsed.help) process.exit(0);
const f = parsed.flags;
const backends = f.backends ? (f.backends.split(',') as BackendName[]) : await availableBackends();
for (const name of f.configs.split(',') as ConfigName[]) {
  if (!(name in configs)) throw new Error(`unknown config ${name} (quick, small, seed)`);
  for (const b of backends) {
    const res = await measure(name, b, f.batch, f.steps, f.warmup);
    if (f.json) console.log(JSON.stringify(res));
    else console.log(`${res.config.padEnd(6)} ${b.padEnd(8)} batch ${res.batch}: train ${res.train_ms_per_step} ms/step (${res.train_img_per_s} img/s), forward ${res.forward_ms} ms (${res.forward_img_per_s} img/s), peak RSS ${res.peak_rss_mib} MiB, ${res.threads ?? '?'} threads`);
  }
}
process.exit(0);
