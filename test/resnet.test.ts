// The ResNet against PyTorch 1.13: the same module tree built in test/support/resnet_reference.py
// has the same parameter count and state_dict names, and from the same weights gives the same
// logits (on every backend); a few SGD steps on a fixed batch lower the loss.
import test from 'ava';
import { execFile, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { realize, tensorsIn, crossEntropy, disposeTree, fromTypedArray, labelTensor, mean, mul, randn, scalar, sub, valueAndGrad, zipTrees, type Tensor } from '../src/index.js';
import { resnet } from '../src/resnet/index.js';
import { eachBackend } from './support/backends.js';

const python = '/usr/bin/python3';
const script = fileURLToPath(new URL('../../test/support/resnet_reference.py', import.meta.url));
const hasTorch = (() => {
  try {
    execFileSync(python, ['-c', 'import torch'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

// two blocks per stage (so stages have a plain block after the downsampling one), odd image size 9 → 5 → 3
const cfg = resnet.config({ imageSize: 9, channels: 3, classes: 5, width: 4, blocks: 2, normGroups: 2 });

test('parameter count and state_dict shapes follow the config', (t) => {
  const params = resnet.init(cfg, { seed: 0 });
  const dict = resnet.stateDict(params);
  t.is(dict.reduce((s, [, x]) => s + x.size, 0), resnet.parameterCount(cfg));
  t.deepEqual(dict.map(([name, x]) => ({ name, shape: [...x.shape] })), resnet.expectedShapes(cfg));
  t.deepEqual(params.fc.weight.shape, [5, 16]);
  disposeTree(params);
});

test('an invalid config names every problem', (t) => {
  t.throws(() => resnet.config({ imageSize: 32, channels: 3, classes: 10, width: 6, blocks: 0, normGroups: 4 } as never), { message: /blocks must be a positive integer, got 0; normGroups 4 does not divide width 6/ });
});

async function torchReference(request: unknown): Promise<{ parameters: number; names: string[]; logits: number[] }> {
  return new Promise((resolve, reject) => {
    const child = execFile(python, [script], { maxBuffer: 1 << 26 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout))));
    child.stdin!.end(JSON.stringify(request));
  });
}

if (!hasTorch) {
  test('PyTorch is installed for the ResNet reference', (t) => t.fail(`${python} cannot import torch: install Debian's python3-torch (.ci/run does)`));
} else {
  eachBackend('same parameter count, names and logits as the PyTorch module from the same weights', async (t) => {
    const params = resnet.init(cfg, { seed: 3 });
    // non-trivial GroupNorm affines, so a swapped weight/bias or group layout shows
    const perturbed: typeof params = zipTrees([params, resnet.init(cfg, { seed: 4 })], (p, q) => (p.shape.length === 1 ? sub(p, mul(q, scalar(0.3))) : p));
    const images = randn([2, 3, 9, 9], { seed: 5 });
    const state: Record<string, { shape: number[]; data: number[] }> = {};
    for (const [name, x] of resnet.stateDict(perturbed)) state[name] = { shape: [...x.shape], data: [...(await x.data())] };
    const logits = resnet.apply(cfg, perturbed, images);
    t.deepEqual(logits.shape, [2, 5]);
    const ours = await logits.data();
    const ref = await torchReference({ config: resnet.torchConfig(cfg), state, images: { shape: [2, 3, 9, 9], data: [...(await images.data())] } });
    t.is(ref.parameters, resnet.parameterCount(cfg));
    t.deepEqual(ref.names, Object.keys(state));
    const err = Math.max(...ref.logits.map((v, k) => Math.abs(v - ours[k]) / (1e-3 + Math.abs(v))));
    t.true(err < 1e-3, `max relative error ${err}: ours ${[...ours].slice(0, 5)} torch ${ref.logits.slice(0, 5)}`);
    disposeTree([params, perturbed, images, logits]);
  });
}

eachBackend('a few SGD steps on one batch lower the loss', async (t) => {
  let params = resnet.init(cfg, { seed: 1 });
  const images = randn([8, 3, 9, 9], { seed: 2 });
  const labels = labelTensor([0, 1, 2, 3, 4, 0, 1, 2], 5, 8);
  const loss = (p: typeof params, x: Tensor<[8, 3, 9, 9]>) => mean(crossEntropy(resnet.apply(cfg, p, x), labels));
  const losses: number[] = [];
  for (let k = 0; k < 4; k++) {
    const [value, grads] = valueAndGrad(loss)(params, images);
    losses.push((await value.data())[0]);
    const next = zipTrees([params, grads], (w, g) => sub(w, mul(g, scalar(0.1))));
    await realize(tensorsIn(next));
    disposeTree([params, grads, value]);
    params = next;
  }
  t.true(losses[3] < losses[0], `losses ${losses}`);
  disposeTree([params, images, labels]);
});

test('fromTypedArray images of the wrong size are refused at runtime', (t) => {
  const params = resnet.init(cfg, { seed: 0 });
  const wrong = fromTypedArray(new Float32Array(2 * 3 * 8 * 8), [2, 3, 8, 8]);
  t.throws(() => resnet.apply(cfg, params, wrong as never), { message: /images must be \[B, 3, 9, 9\], got \[2,3,8,8\]/ });
  disposeTree([params, wrong]);
});
