// Optimizers against hand-computed torch updates, and the gradient-transformation plumbing.
import test from 'ava';
import { applyUpdates, initTrainState, optim, tensor, trainStep, vit, type Tensor } from '../src/index.js';
import { adam, adamw, sgd, type Transform } from '../src/train/optim.js';

/** Steps of `opt` from p0; `lrs` per step, or none (the optimizer's own rate). */
async function run(opt: Transform<unknown>, p0: number[], grads: number[][], lrs?: number[]): Promise<number[][]> {
  let params: { w: Tensor } = { w: tensor(p0, [p0.length]) };
  let state = opt.init(params);
  const out: number[][] = [];
  for (let s = 0; s < grads.length; s++) {
    const [updates, next] = opt.update({ w: tensor(grads[s], [p0.length]) }, state, params, { count: s + 1, learningRate: lrs?.[s] });
    params = applyUpdates(params, updates);
    state = next;
    out.push([...(await params.w.data())]);
  }
  return out;
}

const close = (t: import('ava').ExecutionContext, got: number[][], want: number[][]) =>
  got.forEach((row, s) => row.forEach((v, k) => t.true(Math.abs(v - want[s][k]) < 1e-6, `step ${s + 1}[${k}]: ${v} vs ${want[s][k]}`)));

test('adam with L2 weight decay follows torch.optim.Adam', async (t) => {
  // p=1, g=0.5, wd=0.1 -> g'=0.6; m=0.06, v=0.00036; m̂=0.6, v̂=0.36; p -= 0.1*0.6/(0.6+1e-8) -> 0.9
  // step 2, g=0.5: g'=0.5+0.09=0.59; m=0.9*0.06+0.1*0.59=0.113; v=0.999*0.00036+0.001*0.3481=0.00070774
  // m̂=0.113/0.19=0.594736842; v̂=0.00070774/0.001999=0.354047024; p -= 0.1*0.594736842/0.595018507 -> 0.800047337
  const got = await run(adam({ weightDecay: 0.1 }), [1], [[0.5], [0.5]], [0.1, 0.1]);
  close(t, got, [[0.9], [0.800047337]]);
});

test('adamw decays weights apart from the adaptive step', async (t) => {
  // p=1, g=0.5, wd=0.1, lr=0.1: p -= lr*(m̂/(sqrt(v̂)+eps) + wd*p) = 1 - 0.1*(1 + 0.1) = 0.89
  const got = await run(adamw({ weightDecay: 0.1 }), [1], [[0.5]], [0.1]);
  close(t, got, [[0.89]]);
});

test('sgd with momentum follows torch.optim.SGD', async (t) => {
  // buf1 = g = 1 -> p = 2 - 0.1 = 1.9; buf2 = 0.9*1 + 1 = 1.9 -> p = 1.9 - 0.19 = 1.71
  // with wd 0.5: g' = 1 + 0.5*2 = 2 -> p = 1.8; buf2 = 0.9*2 + (1 + 0.9) = 3.7 -> p = 1.8 - 0.37 = 1.43
  close(t, await run(sgd({ momentum: 0.9 }), [2], [[1], [1]], [0.1, 0.1]), [[1.9], [1.71]]);
  close(t, await run(sgd({ momentum: 0.9, weightDecay: 0.5 }), [2], [[1], [1]], [0.1, 0.1]), [[1.8], [1.43]]);
});

test('the learning rate is read per step (schedules change it without recompiling)', async (t) => {
  const got = await run(sgd(), [0, 0], [[1, -2], [1, -2]], [0.5, 0.25]);
  close(t, got, [[-0.5, 1], [-0.75, 1.5]]);
});

test('Optax style: the learning rate given at construction, a number or a schedule of the update count', async (t) => {
  close(t, await run(adam({ learningRate: 0.1, weightDecay: 0.1 }), [1], [[0.5], [0.5]]), [[0.9], [0.800047337]]);
  close(t, await run(adamw({ learningRate: 0.1, weightDecay: 0.1 }), [1], [[0.5]]), [[0.89]]);
  // the schedule sees 0 at the first update, as Optax's does
  const seen: number[] = [];
  const schedule = (count: number) => (seen.push(count), [0.5, 0.25][count]);
  close(t, await run(sgd({ learningRate: schedule }), [0, 0], [[1, -2], [1, -2]]), [[-0.5, 1], [-0.75, 1.5]]);
  t.deepEqual(seen.slice(-2), [0, 1]);
  t.is(sgd({ learningRate: schedule }).learningRate, schedule);
  // a per-step rate, when given, wins (the per-step form is kept)
  close(t, await run(sgd({ learningRate: 100 }), [0, 0], [[1, -2], [1, -2]], [0.5, 0.25]), [[-0.5, 1], [-0.75, 1.5]]);
});

test('a missing or invalid learning rate is refused by name', async (t) => {
  await t.throwsAsync(() => run(sgd(), [0], [[1]]), { message: /no learning rate: build the optimizer with one \(optim\.adam\(\{ learningRate: 1e-3 \}\)\) or pass learningRate to update/ });
  t.throws(() => adam({ learningRate: -1 }), { message: 'learning rate must be a finite number >= 0, got -1' });
  t.throws(() => adam({ learningRate: Number.NaN }), { message: /got NaN/ });
  await t.throwsAsync(() => run(sgd({ learningRate: () => Number.POSITIVE_INFINITY }), [0], [[1]]), { message: /got Infinity from the schedule at count 0/ });
});

test('trainStep without a per-step rate uses the optimizer\'s own (schedule evaluated per step), and applyUpdates is exported at the top level', async (t) => {
  t.is(typeof applyUpdates, 'function');
  const cfg = vit.config({ imageSize: 8, patchSize: 4, channels: 3, embedDim: 8, heads: 2, mlpDim: 8, layers: 1, classes: 3 });
  const batch = { images: Float32Array.from({ length: 2 * 3 * 8 * 8 }, (_, k) => Math.sin(k)), labels: [0, 2], count: 2 };
  const rates = [1e-2, 5e-3];
  const final = async (optimizer: ReturnType<typeof optim.adam>, perStep: boolean) => {
    let state = await initTrainState(vit.init(cfg, { seed: 1 }), optimizer);
    const step = trainStep(cfg, optimizer, { labelSmoothing: 0, jit: false });
    for (let s = 0; s < 2; s++) [state] = perStep ? await step(state, batch, rates[s]) : await step(state, batch);
    return [...(await state.params.classifier.weight.data())];
  };
  const want = await final(optim.adam(), true);
  t.deepEqual(await final(optim.adam({ learningRate: (c) => rates[c] }), false), want);
  t.notDeepEqual(await final(optim.adam({ learningRate: 1e-2 }), false), want);
  const plain = trainStep(cfg, optim.adam(), { labelSmoothing: 0, jit: false });
  await t.throwsAsync(async () => plain(await initTrainState(vit.init(cfg, { seed: 1 }), optim.adam()), batch), { message: /trainStep: no learning rate/ });
});
