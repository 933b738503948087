// A training step uploads the following batch while it runs (trainStep's `next`): the same losses
// and parameters as without it, on every backend; where storage is device memory (webgpu), the
// next batch is uploaded before the step's results are read and before the step resolves, and the
// call with that batch uploads only its scalars; an upload no call used is freed by discardNext().
import type { ExecutionContext } from 'ava';
import { disposeTree, initTrainState, memory, optim, tensorsIn, trainStep, vit, type Batch } from '../src/index.js';
import { presets, recipeConfig } from '../src/train/presets.js';
import { eachBackend } from './support/backends.js';

const cfg = recipeConfig(presets.quick);
const count = 4;
const batches: Batch[] = [0, 1, 2].map((k) => ({
  images: Float32Array.from({ length: count * 3 * 32 * 32 }, (_, i) => Math.sin(i * 0.01 + k)),
  labels: Array.from({ length: count }, (_, i) => (i + k) % 10),
  count,
}));
const batchBytes = (count * 3 * 32 * 32 + count) * 4;

/** 3 steps over `batches`, each given the following batch as `next` when `ahead`; losses, final parameters and traffic per step. */
async function run(t: ExecutionContext, ahead: boolean, device: boolean) {
  const optimizer = optim.adam({ weightDecay: 0 });
  let state = await initTrainState(vit.init(cfg, { seed: 0 }), optimizer);
  const step = trainStep(cfg, optimizer, { labelSmoothing: 0.1 });
  const losses: number[] = [];
  const uploaded: number[] = [];
  for (const [k, batch] of batches.entries()) {
    const before = await memory();
    const next = ahead && k + 1 < batches.length ? () => batches[k + 1] : undefined;
    const seen = { readBytes: -1 };
    const watched = next && (async () => ((seen.readBytes = (await memory()).readBytes), next()));
    const [s, m] = await step(state, batch, 1e-3, watched);
    state = s;
    losses.push(m.loss);
    uploaded.push((await memory()).uploadedBytes - before.uploadedBytes);
    if (device && watched) t.is(seen.readBytes, before.readBytes, `step ${k + 1} read results before it asked for the next batch`);
  }
  const params = await Promise.all(tensorsIn(state.params).map((p) => p.data()));
  disposeTree([state.params, state.opt]);
  return { losses, params, uploaded, step };
}

eachBackend('a step given the next batch computes what it computes without, and uploads that batch while it runs', async (t, backend) => {
  const device = backend === 'webgpu';
  const plain = await run(t, false, device);
  const overlapped = await run(t, true, device);
  t.deepEqual(overlapped.losses, plain.losses);
  t.deepEqual(overlapped.params, plain.params);
  if (!device) return;
  t.log(`bytes uploaded per step: ${plain.uploaded.join(', ')} plain, ${overlapped.uploaded.join(', ')} with next (batch ${batchBytes})`);
  // each plain step uploads its own batch; ahead, the first uploads two and the others theirs ahead
  for (const u of plain.uploaded) t.true(u >= batchBytes && u < 2 * batchBytes, `plain: ${u}`);
  t.true(overlapped.uploaded[0] >= 2 * batchBytes, `first step with next: ${overlapped.uploaded[0]}`);
  t.true(overlapped.uploaded[1] >= batchBytes && overlapped.uploaded[1] < 2 * batchBytes, `second: ${overlapped.uploaded[1]}`);
  t.true(overlapped.uploaded[2] < batchBytes, `the last step had its batch uploaded ahead: ${overlapped.uploaded[2]}`);
});

eachBackend('discardNext frees a batch uploaded ahead that no step used', async (t) => {
  const optimizer = optim.adam({ weightDecay: 0 });
  let state = await initTrainState(vit.init(cfg, { seed: 0 }), optimizer);
  const step = trainStep(cfg, optimizer, { labelSmoothing: 0.1 });
  [state] = await step(state, batches[0], 1e-3, () => batches[1]);
  const held = (await memory()).buffers;
  step.discardNext();
  t.is((await memory()).buffers, held - 2, 'the images and labels uploaded ahead');
  // a step given another batch than the one uploaded ahead frees that upload and uploads its own
  [state] = await step(state, batches[0], 1e-3, () => batches[1]);
  const before = (await memory()).buffers;
  [state] = await step(state, batches[2], 1e-3);
  t.is((await memory()).buffers, before - 2);
  disposeTree([state.params, state.opt]);
});
