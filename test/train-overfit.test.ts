// One batch of 32 real CIFAR-10 images is memorized (100% train accuracy) by the training step.
import test from 'ava';
import { setBackend, vit } from '../src/index.js';
import { loadCifar10 } from '../src/data/cifar.js';
import { createLoader } from '../src/data/loader.js';
import { adam } from '../src/train/optim.js';
import { initTrainState, trainStep } from '../src/train/step.js';
import { backendsUnderTest } from './support/backends.js';
import { realCifarDir } from './support/cifar-fixture.js';

const steps = 60;

test(`32 real images reach 100% train accuracy within ${steps} Adam steps (E 64, 2 layers, patch 8)`, async (t) => {
  setBackend(backendsUnderTest.includes('webasm') ? 'webasm' : backendsUnderTest[0]);
  const { train } = await loadCifar10(await realCifarDir());
  const loader = createLoader({ images: train.images, labels: train.labels, batchSize: 32, shuffle: false, augment: 'none', limit: 32, workers: 0 });
  let batch;
  for await (const b of loader) batch = b;
  const cfg = vit.config({ imageSize: 32, patchSize: 8, channels: 3, embedDim: 64, heads: 4, mlpDim: 128, layers: 2, classes: 10 });
  const optimizer = adam({ weightDecay: 0 });
  let state = await initTrainState(vit.init(cfg, { seed: 0 }), optimizer);
  const step = trainStep(cfg, optimizer, { labelSmoothing: 0.1 });
  let reached = -1;
  const accuracies: number[] = [];
  for (let s = 0; s < steps && reached < 0; s++) {
    const [next, m] = await step(state, batch!, 2e-3);
    state = next;
    accuracies.push(m.correct / m.count);
    if (m.correct === m.count) reached = s + 1;
  }
  t.log(`accuracy per step: ${accuracies.map((a) => a.toFixed(2)).join(' ')}`);
  t.true(reached > 0, `not memorized in ${steps} steps`);
});
