// The ViT: parameter counts, state_dict names, and logits against a float64 loop reference.
import test from 'ava';
import { crossEntropy, fromTypedArray, labelTensor, mean, realize, valueAndGrad, vit, type Tensor } from '../src/index.js';
import { eachBackend } from './support/backends.js';
import { assertClose, randomArray } from './support/reference.js';
import { vitReference } from './support/vit-reference.js';

test('seed config has 6,306,442 parameters; patch 4 has 6,269,578', (t) => {
  const seed = vit.config(vit.seedConfig);
  t.is(vit.parameterCount(vit.init(seed, { seed: 0 })), 6306442);
  const p4 = vit.config({ ...vit.seedConfig, patchSize: 4 });
  t.is(vit.parameterCount(vit.init(p4, { seed: 0 })), 6269578);
  t.is(seed.tokens, 17);
  t.is(seed.patchDim, 192);
  t.is(seed.headDim, 32);
});

test('state_dict names and shapes follow the PyTorch model', (t) => {
  const cfg = vit.config({ imageSize: 8, patchSize: 4, channels: 3, embedDim: 8, heads: 2, mlpDim: 6, layers: 2, classes: 5 });
  const entries = vit.stateDict(vit.init(cfg, { seed: 1 }) as never);
  t.deepEqual(
    entries.map(([n, x]) => `${n} [${x.shape.join(',')}]`),
    vit.expectedShapes(cfg).map((e) => `${e.name} [${e.shape.join(',')}]`),
  );
  t.deepEqual(entries.slice(0, 6).map(([n]) => n), ['pos_embedding', 'class_token', 'seq_project.0.weight', 'seq_project.0.bias', 'seq_project.1.weight', 'seq_project.1.bias']);
  t.true(entries.some(([n, x]) => n === 'encoder.1.self_atten.in_proj_weight' && x.shape.join() === '24,8'));
  t.true(entries.some(([n, x]) => n === 'encoder.0.mlp.3.weight' && x.shape.join() === '8,6'));
});

test('xavier bounds use the torch fan rule (pos_embedding included)', async (t) => {
  const cfg = vit.config({ imageSize: 8, patchSize: 4, channels: 3, embedDim: 8, heads: 2, mlpDim: 6, layers: 1, classes: 5 });
  const p = vit.init(cfg, { seed: 3 }) as never as { posEmbedding: Tensor; encoder: Array<{ sublayer1: { weight: Tensor } }> };
  const pos = await p.posEmbedding.data();
  const bound = Math.sqrt(6 / (5 * 8 + 1 * 8));
  t.true(pos.every((v) => Math.abs(v) <= bound));
  t.true(Math.max(...pos.map(Math.abs)) > bound * 0.8);
  t.true((await p.encoder[0].sublayer1.weight.data()).every((v) => v === 1));
});

for (const pool of ['token', 'mean'] as const) {
  eachBackend(`vit.apply matches the float64 reference on a small config with random parameters (pool '${pool}')`, async (t) => {
    const cfg = vit.config({ imageSize: 8, patchSize: 4, channels: 3, embedDim: 12, heads: 3, mlpDim: 10, layers: 2, classes: 5, pool });
    const shapes = vit.expectedShapes(cfg);
    const weights: Record<string, Float32Array> = {};
    shapes.forEach((s, k) => (weights[s.name] = Float32Array.from(randomArray(s.shape.reduce((p, d) => p * d, 1), 100 + k, -0.5, 0.5))));
    const params = vit.fromStateDict(cfg, (name, shape) => fromTypedArray(weights[name], shape));
    const batch = 3;
    const images = Float32Array.from(randomArray(batch * 3 * 8 * 8, 9, -2, 2));
    const logits = vit.apply(cfg, params, fromTypedArray(images, [batch, 3, 8, 8]));
    t.deepEqual([...logits.shape], [3, 5]);
    const ref = vitReference(cfg, weights, images, batch).flat();
    assertClose(t, await logits.data(), ref, 1e-4, 1e-3, 'logits');
  });
}

for (const pool of ['token', 'mean'] as const) {
  eachBackend(`gradients of the ViT loss match finite differences of the float64 reference (pool '${pool}')`, async (t) => {
    const cfg = vit.config({ imageSize: 8, patchSize: 4, channels: 3, embedDim: 8, heads: 2, mlpDim: 6, layers: 2, classes: 4, pool });
    const shapes = vit.expectedShapes(cfg);
    const weights: Record<string, Float64Array> = {};
    shapes.forEach((s, k) => (weights[s.name] = randomArray(s.shape.reduce((p, d) => p * d, 1), 300 + k, -0.6, 0.6).map(Math.fround)));
    const batch = 2;
    const images = randomArray(batch * 3 * 64, 17, -2, 2).map(Math.fround);
    const labels = [1, 3];
    const smoothing = 0.1;
    const refLoss = (w: Record<string, Float64Array>) => {
      const logits = vitReference(cfg, w, images, batch);
      return logits.reduce((s, row, n) => {
        const m = Math.max(...row);
        const lse = m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
        return s + row.reduce((a, v, c) => a - (v - lse) * ((c === labels[n] ? 1 - smoothing : 0) + smoothing / row.length), 0);
      }, 0) / batch;
    };
    const params = vit.fromStateDict(cfg, (n, shape) => fromTypedArray(weights[n], shape));
    const x = fromTypedArray(images, [batch, 3, 8, 8]);
    const y = labelTensor(labels, 4, batch);
    const [, grads] = valueAndGrad((p: typeof params) => mean(crossEntropy(vit.apply(cfg, p, x) as Tensor<[number, number]>, y, smoothing), 0))(params);
    const named = new Map(vit.stateDict(grads as never));
    await realize([...named.values()]);
    const probes = ['pos_embedding', 'class_token', 'seq_project.0.weight', 'seq_project.1.weight', 'encoder.0.self_atten.in_proj_weight', 'encoder.1.self_atten.out_proj.bias', 'encoder.0.mlp.0.weight', 'encoder.1.mlp.3.weight', 'encoder.1.sublayer_2.ln.bias', 'ln.weight', 'classifier.weight', 'classifier.bias'];
    for (const [k, name] of probes.entries()) {
      const g = await named.get(name)!.data();
      const at = (k * 7) % g.length;
      const h = 1e-4;
      const bump = (d: number) => {
        const w = { ...weights, [name]: Float64Array.from(weights[name]) };
        w[name][at] += d;
        return refLoss(w);
      };
      const fd = (bump(h) - bump(-h)) / (2 * h);
      t.true(Math.abs(g[at] - fd) <= 1e-3 + 1e-2 * Math.abs(fd), `${name}[${at}]: ${g[at]} vs finite difference ${fd}`);
    }
  });
}
