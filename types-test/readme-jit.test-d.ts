// The README's jitted-step example, compiled as written (types only; it does not run).
import { jit, scalar, sub, mul, mean, crossEntropy, zipTrees, disposeTree, valueAndGrad, vit, zeros, type Tensor } from 'shaped-vit';
const cfg = vit.config(vit.seedConfig);
let params = vit.init(cfg, { seed: 0 });
const images = zeros([4, 3, 32, 32]);
const labels = zeros([4]);
const lossOf = (p: typeof params, x: typeof images, y: typeof labels) => mean(crossEntropy(vit.apply(cfg, p, x), y, 0.1));
const sgd = jit((p: typeof params, x: typeof images, y: typeof labels, lr: Tensor<[]>) => {
  const [loss, grads] = valueAndGrad(lossOf)(p, x, y);
  return { loss, params: zipTrees([p, grads], (w, g) => sub(w, mul(g, lr))) };
});
export async function main() {
  const out = await sgd(params, images, labels, scalar(0.01));
  disposeTree(params);
  params = out.params;
  console.log((await out.loss.data())[0], sgd.compilations, sgd.entries[0].executorKind);
}
