// Bytes held at the peak of one seed-ViT gradient (loss + every parameter's gradient in one
// evaluation), plain and with checkpointed encoder blocks (`vit.apply(..., { checkpoint: true })`).
// Usage: node build/bench/remat.js [backend] [batch]   (default webasm 64)
import { crossEntropy, disposeTree, labelTensor, mean, memory, randn, realize, resetPeakMemory, setBackend, tensorsIn, valueAndGrad, vit, backendNames, type BackendName } from '../src/index.js';

const [name = 'webasm', batchArg = '64'] = process.argv.slice(2);
if (!(backendNames as readonly string[]).includes(name) || !/^[1-9]\d*$/.test(batchArg)) {
  console.error(`usage: node build/bench/remat.js [${backendNames.join('|')}] [batch, a positive integer]`);
  process.exit(2);
}
setBackend(name as BackendName);
const batch = Number(batchArg);
const cfg = vit.config(vit.seedConfig);
const params = vit.init(cfg, { seed: 0 });
const images = randn([batch, cfg.channels, cfg.imageSize, cfg.imageSize], { seed: 1 });
const labels = labelTensor(Array.from({ length: batch }, (_, k) => k % cfg.classes), cfg.classes, batch);
await realize([...tensorsIn(params), images, labels]);

for (const checkpoint of [false, true]) {
  await resetPeakMemory();
  const start = (await memory()).bytes;
  const [loss, grads] = valueAndGrad((p: typeof params) => mean(crossEntropy(vit.apply(cfg, p, images, { checkpoint }), labels)))(params);
  await realize([loss, ...tensorsIn(grads)]);
  const peak = (await memory()).peakBytes - start;
  console.log(`${checkpoint ? 'checkpointed blocks' : 'plain              '}: peak ${(peak / 2 ** 20).toFixed(1)} MiB above the parameters and batch (loss ${(await loss.data())[0].toFixed(6)})`);
  disposeTree([loss, grads]);
}
