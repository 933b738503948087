// Optimizers against hand-computed torch updates, and the gradient-transformation plumbing.
import test from 'ava';
import { tensor, type Tensor } from '../src/index.js';
import { adam, adamw, applyUpdates, sgd, type Transform } from '../src/train/optim.js';

async function run(opt: Transform<unknown>, p0: number[], grads: number[][], lrs: number[]): Promise<number[][]> {
  let params: { w: Tensor } = { w: tensor(p0, [p0.length]) };
  let state = opt.init(params);
  const out: number[][] = [];
  for (let s = 0; s < grads.length; s++) {
    const [updates, next] = opt.update({ w: tensor(grads[s], [p0.length]) }, state, params, { count: s + 1, learningRate: lrs[s] });
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
