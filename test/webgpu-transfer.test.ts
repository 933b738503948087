// State stays on the device: a jitted training step on WebGPU moves only the batch in and the
// loss and accuracy out (memory().uploadedBytes / readBytes), its parameters and Adam moments stay
// in device buffers between steps, whichever executor jit picks (auto, kernels). The quick ViT at batch 16 (Mesa under load runs batch 64 slowly).
import test from 'ava';
import { availableBackends, disposeTree, initTrainState, memory, optim, setBackend, tensorsIn, trainStep, vit } from '../src/index.js';
import { presets, recipeConfig } from '../src/train/presets.js';

const present = (await availableBackends()).includes('webgpu');
const required = (process.env.SHAPED_VIT_REQUIRE_BACKENDS ?? '').split(',').includes('webgpu');

(present || required ? test.serial : test.skip)('[webgpu] 5 jitted quick-ViT steps each move at most the batch + 4 KiB between host and device', async (t) => {
  setBackend('webgpu');
  const cfg = recipeConfig(presets.quick);
  const count = 16;
  const images = Float32Array.from({ length: count * 3 * 32 * 32 }, (_, i) => Math.sin(i * 0.01));
  const batch = { images, labels: Array.from({ length: count }, (_, i) => i % 10), count };
  // the images and the labels (one float each) are what a step must upload
  const batchBytes = (images.length + count) * 4;
  const optimizer = optim.adam({ weightDecay: 0 });
  let state = await initTrainState(vit.init(cfg, { seed: 0 }), optimizer);
  for (const executor of ['auto', 'kernels'] as const) {
    const step = trainStep(cfg, optimizer, { labelSmoothing: 0.1, executor });
    // the first call compiles (and uploads constants the step made, once)
    [state] = await step(state, batch, 1e-3);
    const before = await memory();
    for (let s = 0; s < 5; s++) [state] = await step(state, batch, 1e-3);
    const after = await memory();
    const perStep = (after.uploadedBytes - before.uploadedBytes + after.readBytes - before.readBytes) / 5;
    t.log(`${executor}: ${perStep} bytes moved per step (uploaded ${(after.uploadedBytes - before.uploadedBytes) / 5}, read ${(after.readBytes - before.readBytes) / 5}), batch ${batchBytes}`);
    t.true(perStep >= batchBytes, 'the batch itself is counted');
    t.true(perStep <= batchBytes + 4096, `${perStep} bytes per step, more than the batch's ${batchBytes} + 4 KiB`);
  }
  // asked for, a gpu.js pipeline runs it: that reads every result back (gpu.js 2.24), so the
  // counters see the whole state cross, and auto never picks it on WebGPU
  const piped = trainStep(cfg, optimizer, { labelSmoothing: 0.1, executor: 'pipeline' });
  [state] = await piped(state, batch, 1e-3);
  const before = await memory();
  [state] = await piped(state, batch, 1e-3);
  const after = await memory();
  const stateBytes = [state.params, state.opt].flatMap((x) => tensorsIn(x)).reduce((n, x) => n + x.size * 4, 0);
  t.true(after.readBytes - before.readBytes >= stateBytes, `a pipeline step read ${after.readBytes - before.readBytes} bytes, state is ${stateBytes}`);
  disposeTree([state.params, state.opt]);
});
