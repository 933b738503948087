// checkpoint (rematerialization): the same value and gradients as f, on every backend, eagerly and
// under jit; fewer bytes held at the peak of a backward pass (memory().peakBytes counts bytes, so
// this is deterministic, not a timing).
import test from 'ava';
import { checkpoint, mul, reshape, crossEntropy, grad, jit, labelTensor, mean, memory, randn, realize, resetPeakMemory, tensorsIn, valueAndGrad, vit, disposeTree, type Tensor } from '../src/index.js';
import { eachBackend } from './support/backends.js';
import { assertClose } from './support/reference.js';

const cfg = vit.config({ imageSize: 16, patchSize: 4, channels: 3, embedDim: 32, heads: 4, mlpDim: 64, layers: 4, classes: 10, dropout: 0 });
// made per test: a realized tensor lives on one backend
const batch = () => ({ images: randn([4, 3, 16, 16], { seed: 1 }), labels: labelTensor([0, 3, 5, 9], 10, 4) });
type Params = ReturnType<typeof initParams>;
const initParams = () => vit.init(cfg, { seed: 0 });
const lossOf = (checkpointed: boolean, { images, labels } = batch()) => (p: Params) => mean(crossEntropy(vit.apply(cfg, p, images, { checkpoint: checkpointed }), labels));

eachBackend('a ViT with checkpointed blocks: the same loss and gradients, eager and jitted', async (t) => {
  const params = initParams();
  const [v0, g0] = valueAndGrad(lossOf(false))(params);
  const [v1, g1] = valueAndGrad(lossOf(true))(params);
  t.is((await v1.data())[0], (await v0.data())[0]);
  const plain = tensorsIn(g0);
  const remat = tensorsIn(g1);
  for (let k = 0; k < plain.length; k++) assertClose(t, await remat[k].data(), await plain[k].data(), 1e-6, 1e-4, `gradient ${k}`);
  const jitted = jit(grad(lossOf(true)));
  const gj = tensorsIn(await jitted(params));
  for (let k = 0; k < plain.length; k++) assertClose(t, await gj[k].data(), await plain[k].data(), 1e-6, 1e-4, `jit: gradient ${k}`);
  jitted.dispose();
});

test('checkpointed blocks hold fewer bytes at the peak of the backward pass', async (t) => {
  const params = initParams();
  const data = batch();
  await realize([...tensorsIn(params), data.images, data.labels]);
  const peakOf = async (checkpointed: boolean) => {
    await resetPeakMemory();
    const start = (await memory()).bytes;
    const [v, g] = valueAndGrad(lossOf(checkpointed, data))(params);
    await realize([v, ...tensorsIn(g)]);
    const peak = (await memory()).peakBytes - start;
    disposeTree([v, g]);
    return peak;
  };
  const plain = await peakOf(false);
  const remat = await peakOf(true);
  t.log(`peak above start: ${plain} bytes plain, ${remat} checkpointed`);
  t.true(remat < plain * 0.7, `${remat} vs ${plain}`);
});

test('checkpoint of any function of pytrees', async (t) => {
  const f = (p: { w: Tensor<[3]> }, x: Tensor<[3]>) => mean(crossEntropy(reshapeRow(mul3(p.w, x)), labelTensor([1], 3, 1)));
  const p = { w: randn([3], { seed: 4 }) };
  const x = randn([3], { seed: 5 });
  const g0 = grad((q: typeof p) => f(q, x))(p);
  const g1 = grad((q: typeof p) => checkpoint(f)(q, x))(p);
  assertClose(t, await g1.w.data(), await g0.w.data(), 1e-7, 1e-6, 'dw');
});
const mul3 = (a: Tensor<[3]>, b: Tensor<[3]>) => mul(a, b);
const reshapeRow = (v: Tensor<[3]>) => reshape(v, [1, 3]);
