import { setBackend, vit } from '../../src/index.js';
import { adam } from '../../src/train/optim.js';
import { initTrainState, trainStep } from '../../src/train/step.js';
const [backend, P, E, H, D, L, B, steps] = process.argv.slice(2);
setBackend(backend as never);
const cfg = vit.config({ imageSize: 32, patchSize: +P, channels: 3, embedDim: +E, heads: +H, mlpDim: +D, layers: +L, classes: 10 } as never);
const opt = adam({ weightDecay: 5e-5 });
let state = await initTrainState(vit.init(cfg, { seed: 0 }) as never, opt);
const step = trainStep(cfg as never, opt, { labelSmoothing: 0.1 });
const batch = { images: new Float32Array(+B * 3072).map((_, k) => Math.sin(k)), labels: Array.from({ length: +B }, (_, i) => i % 10), count: +B };
const times: number[] = [];
for (let s = 0; s < +steps; s++) {
  const t0 = performance.now();
  [state] = await step(state, batch, 1e-3);
  times.push(performance.now() - t0);
}
console.log(process.argv.slice(2).join(' '), times.map((t) => t.toFixed(0)).join(' '), 'ms; img/s', ((+B * 1000) / times.at(-1)!).toFixed(1));
process.exit(0);
