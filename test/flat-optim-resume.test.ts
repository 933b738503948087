// A training state whose optimizer state was stored per tensor (before the library's optimizers
// kept it flat) still resumes: its tensors are raveled into the flat vectors.
import test from 'ava';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as sv from '../src/index.js';
import { ravelPytree, tensor, type Tensor } from '../src/index.js';
import { adam, addWeightDecay, chain, scaleByAdam, scaleByLearningRate } from '../src/train/optim.js';
import { encodeTrainState, loadTrainState, openTrainState, trainStatePath } from '../src/train/checkpoint.js';
import { vitKind } from '../src/train/models.js';

test('a training state whose optimizer state was stored per tensor (before it was flat) resumes as the flat vectors', async (t) => {
  sv.setBackend('cpu');
  const cfg = sv.vit.config({ imageSize: 8, patchSize: 4, channels: 3, classes: 3, embedDim: 8, heads: 2, mlpDim: 16, layers: 1 });
  const params = sv.vit.init(cfg, { seed: 3 });
  const perTensor = chain(addWeightDecay(0.1), scaleByAdam(), scaleByLearningRate());
  // per-tensor moments with distinct values, as a run of the older layout would have written them
  const legacy = sv.mapTree(perTensor.init(params), (z, name) => tensor(Float32Array.from({ length: z.size }, (_, i) => name.length + i / 1000), [...z.shape]));
  const progress = { run: 'legacy-1', epoch: 1, step: 4, bestValAcc: -1, recipe: '{}' };
  const dir = await mkdtemp(path.join(os.tmpdir(), 'shaped-vit-flat-'));
  const model = path.join(dir, 'last.safetensors');
  await writeFile(trainStatePath(model), await encodeTrainState(vitKind, trainStatePath(model), cfg, params, legacy, progress));
  const loaded = await loadTrainState(await openTrainState(model), vitKind, adam({ weightDecay: 0.1 }));
  const [, moments] = loaded.opt as [null, { m: Tensor; v: Tensor }, null];
  const [, old] = legacy as unknown as [null, { m: unknown; v: unknown }, null];
  for (const k of ['m', 'v'] as const) t.deepEqual(await moments[k].data(), await ravelPytree(old[k])[0].data(), k);
  // a state of another layout altogether is still refused, naming what differs
  const wrong = { m: tensor([1, 2, 3], [3]) };
  await writeFile(trainStatePath(model), await encodeTrainState(vitKind, trainStatePath(model), cfg, params, wrong, progress));
  await t.throwsAsync(async () => loadTrainState(await openTrainState(model), vitKind, adam()), { message: /does not match the model .*missing tensor "opt\.1\.m"/ });
});
