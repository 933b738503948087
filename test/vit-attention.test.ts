// vit.applyWithAttention: the same logits as vit.apply, and each layer's attention weights match
// the float64 reference's softmax, on every backend.
import { fromTypedArray, realize, vit } from '../src/index.js';
import { eachBackend } from './support/backends.js';
import { assertClose, randomArray } from './support/reference.js';
import { vitReference } from './support/vit-reference.js';

eachBackend('vit.applyWithAttention: logits of vit.apply and per-layer attention weights of the float64 reference', async (t) => {
  const cfg = vit.config({ imageSize: 8, patchSize: 4, channels: 3, embedDim: 12, heads: 3, mlpDim: 10, layers: 2, classes: 5 });
  const shapes = vit.expectedShapes(cfg);
  const weights: Record<string, Float32Array> = {};
  shapes.forEach((s, k) => (weights[s.name] = Float32Array.from(randomArray(s.shape.reduce((p, d) => p * d, 1), 500 + k, -0.5, 0.5))));
  const params = vit.fromStateDict(cfg, (name, shape) => fromTypedArray(weights[name], shape));
  const batch = 2;
  const images = fromTypedArray(Float32Array.from(randomArray(batch * 3 * 8 * 8, 19, -2, 2)), [batch, 3, 8, 8]);
  const { logits, attention } = vit.applyWithAttention(cfg, params, images);
  const plain = vit.apply(cfg, params, images);
  await realize([logits, plain, ...attention]);
  const refAttention: number[][] = [];
  const ref = vitReference(cfg, weights, await images.data(), batch, refAttention).flat();
  assertClose(t, await logits.data(), ref, 1e-4, 1e-3, 'logits');
  t.deepEqual([...(await logits.data())], [...(await plain.data())], 'same logits as vit.apply');
  t.is(attention.length, cfg.layers);
  for (const [l, a] of attention.entries()) {
    t.deepEqual([...a.shape], [batch, cfg.heads, cfg.tokens, cfg.tokens]);
    assertClose(t, await a.data(), refAttention[l], 1e-5, 1e-4, `layer ${l} attention`);
  }
});
