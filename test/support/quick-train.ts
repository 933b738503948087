// A few Adam steps of the quick ViT (the CLI's quick preset sizes) on one fixed synthetic batch.
// The same function runs in Node and in the browser page, so their losses can be compared.
import { disposeTree, initTrainState, optim, setBackend, trainStep, vit, type BackendName } from '../../src/core.js';
import { presets, recipeConfig } from '../../src/train/presets.js';

const quickConfig = recipeConfig(presets.quick);

/** 32 images whose class shifts one channel's mean, plus seeded uniform noise: learnable, deterministic. */
function syntheticBatch(count: number) {
  let s = 12345;
  const random = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  const size = 3 * 32 * 32;
  const images = new Float32Array(count * size);
  const labels = Array.from({ length: count }, (_, i) => i % 10);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < size; j++) images[i * size + j] = random() + (Math.floor(j / 1024) === labels[i] % 3 ? labels[i] / 5 : 0);
  }
  return { images, labels, count };
}

export async function quickTrainLosses(backend: BackendName, steps: number): Promise<number[]> {
  setBackend(backend);
  const optimizer = optim.adam({ weightDecay: 0 });
  let state = await initTrainState(vit.init(quickConfig, { seed: 0 }), optimizer);
  const step = trainStep(quickConfig, optimizer, { labelSmoothing: 0.1 });
  const batch = syntheticBatch(32);
  const losses: number[] = [];
  for (let k = 0; k < steps; k++) {
    const [next, metrics] = await step(state, batch, 2e-3);
    state = next;
    losses.push(metrics.loss);
  }
  disposeTree([state.params, state.opt]);
  return losses;
}
