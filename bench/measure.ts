// One throughput measurement (platform-neutral, so Node's `npm run bench` and the browser bench run
// the same code): training steps (forward + backward + Adam on a fixed synthetic batch; trainStep,
// and the natural loop that only reads the loss) and forward-only passes of the ViT, median after
// warm-up; `profiled` prints time per kernel kind for one step.
import { backend as activeBackend, constant, crossEntropy, disposeTree, evalStep, initTrainState, labelTensor, mean, optim, presets, profile, recipeConfig, setBackend, trainStep, valueAndGrad, vit, type BackendName } from '../src/core.js';
import type { JitOptions } from '../src/dsl/index.js';

type Executor = NonNullable<JitOptions['executor']>;

const { adam, applyUpdates } = optim;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// tfjs-vit's "small" config (../shared/bench/tfjs-vit), for side-by-side numbers
export const configs = { ...presets, small: { ...presets.seed, embedDim: 128, heads: 4, mlpDim: 256, layers: 4 } };
export type ConfigName = keyof typeof configs;

/**
 * `executor` picks how the jitted step runs (trainStep's executor: 'auto', 'pipeline' or 'kernels').
 * Warm-up lasts `warmup` steps and at least `warmupSeconds`: V8 optimizes the natural loop's
 * JavaScript (its graph build runs through hundreds of functions) on background threads for its
 * first seconds, and on two cores those threads take a core from the kernels (`perf record`), so
 * timing it sooner times V8's warm-up, not the loop a training run spends its time in.
 */
export async function measure(name: ConfigName, backend: BackendName, batch: number, steps: number, warmup: number, profiled: boolean, executor: Executor = 'auto', warmupSeconds = 0) {
  setBackend(backend);
  const r = configs[name];
  const cfg = recipeConfig(r);
  const optimizer = adam({ betas: r.betas, weightDecay: r.weightDecay });
  let state = await initTrainState(vit.init(cfg, { seed: 0 }), optimizer);
  const images = new Float32Array(batch * 3072);
  for (let k = 0; k < images.length; k++) images[k] = Math.sin(k * 12.9898) * 1.5;
  const data = { images, labels: Array.from({ length: batch }, (_, i) => i % 10), count: batch };
  const step = trainStep(cfg, optimizer, { labelSmoothing: r.labelSmoothing, executor });
  const forward = evalStep(cfg, { labelSmoothing: r.labelSmoothing });
  // the loop a user writes first: valueAndGrad, the optimizer's update as tensor ops, read the
  // loss with data(); no realize (the new state is a pending sibling of the loss)
  let natural = await initTrainState(vit.init(cfg, { seed: 0 }), optimizer);
  const naturalStep = async () => {
    const x = constant(images, [batch, 3, 32, 32]);
    const y = labelTensor(data.labels, 10, batch);
    const lossOf = (p: typeof natural.params) => mean(crossEntropy(vit.apply(cfg, p, x, { train: true, seed: 0 }), y, r.labelSmoothing), 0);
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
  const be = await activeBackend();
  // launches of the last timed step (a profiled step submits each step's batched device work on its own)
  let launches = 0;
  const timeOf = async (work: () => Promise<unknown>) => {
    const t0 = performance.now();
    await work();
    return performance.now() - t0;
  };
  const jitted = () =>
    timeOf(async () => {
      const before = be.kernelLaunches();
      [state] = await step(state, data, r.lr);
      launches = be.kernelLaunches() - before;
    });
  const naturally = () => timeOf(naturalStep);
  const forwardOnly = () => timeOf(() => forward(state.params, data));
  const warmUntil = performance.now() + warmupSeconds * 1000;
  for (let s = 0; s < warmup || performance.now() < warmUntil; s++) {
    await jitted();
    await naturally();
    await forwardOnly();
  }
  // the two training loops alternate, each first every other step; the forward pass is timed on its
  // own, after them: between them it read the jitted step's parameters just before that step ran
  for (let s = 0; s < steps; s++) {
    if (s % 2 === 0) {
      trainMs.push(await jitted());
      naturalMs.push(await naturally());
    } else {
      naturalMs.push(await naturally());
      trainMs.push(await jitted());
    }
  }
  for (let s = 0; s < steps; s++) forwardMs.push(await forwardOnly());
  disposeTree([natural.params, natural.opt]);
  if (profiled) {
    const [, entries] = await profile(async () => ([state] = await step(state, data, r.lr)));
    const before = be.kernelLaunches();
    await forward(state.params, data);
    const evalLaunches = be.kernelLaunches() - before;
    const total = entries.reduce((t, e) => t + e.ms, 0);
    console.log(`profile: one ${name} training step on ${backend}, ${total.toFixed(0)} ms in kernels; kernel launches (gpu.js kernels and submits of our own commands): ${launches} (an evaluation step: ${evalLaunches})`);
    for (const e of entries) console.log(`  ${e.kernel.padEnd(48)} ${e.ms.toFixed(1).padStart(9)} ms ${((100 * e.ms) / total).toFixed(1).padStart(5)}% ${String(e.calls).padStart(5)} calls`);
  }
  const train = median(trainMs);
  const naturalLoop = median(naturalMs);
  const fwd = median(forwardMs);
  return {
    library: 'shaped-vit',
    backend,
    executor,
    config: name,
    batch,
    params: vit.parameterCount(state.params),
    train_ms_per_step: Math.round(train),
    train_img_per_s: +((batch * 1000) / train).toFixed(2),
    natural_loop_img_per_s: +((batch * 1000) / naturalLoop).toFixed(2),
    forward_ms: Math.round(fwd),
    forward_img_per_s: +((batch * 1000) / fwd).toFixed(2),
    steps,
  };
}
