// The ViT training step compiled with jit against the same step evaluated eagerly (jit: false):
// losses, parameters and an evaluation after 3 Adam steps agree; shared by the jit tests.
import type { ExecutionContext } from 'ava';
import * as sv from '../../src/index.js';

export async function checkVitSteps(t: ExecutionContext, dropout: number, executor: 'auto' | 'pipeline'): Promise<void> {
  const backend = (await sv.backend()).name;
  const cfg = sv.vit.config({ imageSize: 16, patchSize: 8, channels: 3, embedDim: 16, heads: 2, mlpDim: 32, layers: 2, classes: 10, dropout });
  const rand = sv.generator(5);
  const batch = { images: Float32Array.from({ length: 6 * 3 * 16 * 16 }, () => rand() * 2 - 1), labels: [0, 1, 2, 3, 4, 5], count: 6 };
  const optimizer = sv.optim.adam({ weightDecay: 5e-5 });
  const executors: Array<string | null> = [];
  const run = async (jit: boolean) => {
    const train = sv.trainStep(cfg, optimizer, { labelSmoothing: 0.1, seed: 3, jit, executor });
    let state = await sv.initTrainState(sv.vit.init(cfg, { seed: 0 }), optimizer);
    const losses: number[] = [];
    for (let s = 0; s < 3; s++) {
      const [next, m] = await train(state, batch, 1e-3);
      state = next;
      losses.push(m.loss);
    }
    executors.push(...train.compiled.map((e) => e.executorKind));
    const evaluated = await sv.evalStep(cfg, { labelSmoothing: 0.1, jit })(state.params, batch);
    const values = await Promise.all(sv.tensorsIn(state.params).map((p) => p.data()));
    sv.disposeTree(state);
    return { losses, values, evaluated };
  };
  const [jitted, eager] = [await run(true), await run(false)];
  jitted.losses.forEach((l, s) => t.true(Math.abs(l - eager.losses[s]) <= 1e-5 * Math.abs(l), `step ${s}: loss ${l} vs ${eager.losses[s]}`));
  t.true(Math.abs(jitted.evaluated.loss - eager.evaluated.loss) <= 1e-5 * Math.abs(eager.evaluated.loss));
  t.is(jitted.evaluated.correct, eager.evaluated.correct);
  const worst = Math.max(...jitted.values.flatMap((v, k) => Array.from(v, (x, i) => Math.abs(x - eager.values[k][i]))));
  t.true(worst <= 1e-5, `parameters differ by up to ${worst}`);
  // asked for, the whole step is one WebGPU submission, unless dropout's host-made mask is in it
  if (backend === 'webgpu' && executor === 'pipeline') t.deepEqual(executors, ['fused-encoder']);
  if (dropout) t.deepEqual(executors, ['cached']);
}
