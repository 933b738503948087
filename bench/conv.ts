// node build/bench/conv.js [batch 32] [channels 64] [size 32] [reps 5]   (backend: webasm)
// GFLOP/s of a ResNet-style conv layer (3×3, padding 1, C → C channels, size × size images) on
// webasm: forward, the input gradient (dx) and the weight gradient (dw), each against our GEMM on
// the same-sized matrix product ([C, 9C] × [9C, batch·size²]), and TF.js-wasm's conv2d (XNNPACK,
// one thread in Node) forward and input gradient on the same layer. Rounds alternate every
// measurement, so machine load hits each alike; under load only the ratios mean anything.
// Also the 2×2 max / average pooling of the layer's output and their input gradients, ours vs TF.js.
import { avgPool2d, conv2d, fromTypedArray, matmul, maxPool2d, realize, setBackend, vjp, type Tensor } from '../src/index.js';
import { tfjsWasm } from './tfjs.js';

const [batch, channels, size, reps] = [32, 64, 32, 5].map((d, k) => Number(process.argv[2 + k] ?? d));
const k2 = 9 * channels;
const pixels = batch * size * size;
const convFlops = 2 * pixels * channels * k2;
const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[xs.length >> 1];
const values = (n: number, f: (i: number) => number) => Float32Array.from({ length: n }, (_, i) => f(i));

setBackend('webasm');
const tf = await tfjsWasm();
const xv = values(batch * channels * size * size, (i) => Math.sin(i * 0.37));
const wv = values(channels * k2, (i) => Math.cos(i * 0.11) * 0.05);
const gv = values(batch * channels * size * size, (i) => Math.sin(i * 0.05));
const x = fromTypedArray(xv, [batch, channels, size, size]);
const w = fromTypedArray(wv, [channels, channels, 3, 3]);
const g = fromTypedArray(gv, [batch, channels, size, size]);
const a = fromTypedArray(values(channels * k2, (i) => Math.cos(i)), [channels, k2]);
const b = fromTypedArray(values(k2 * pixels, (i) => Math.sin(i)), [k2, pixels]);
await realize([x, w, g, a, b]);
type Image = Tensor<[number, number, number, number]>;
const conv = (xx: Image, ww: Image) => conv2d(xx, ww, { padding: 1 });

const read = async (t: Tensor) => {
  await t.data();
  t.dispose();
};
// dx: the pullback of x alone (w^T·g, then col2im); dw: of w alone (g·colsᵀ, the windows of x already made by the forward)
const [yx, pullX] = vjp((xx: Image) => conv(xx, w), x);
const [yw, pullW] = vjp((ww: Image) => conv(x, ww), w);
const [ym, pullMax] = vjp((xx: Image) => maxPool2d(xx, 2), g);
const [ya, pullAvg] = vjp((xx: Image) => avgPool2d(xx, 2), g);
const gp = fromTypedArray(values((batch * channels * size * size) / 4, (i) => Math.cos(i * 0.3)), [batch, channels, size / 2, size / 2]);
await realize([yx, yw, ym, ya, gp]);
const ours = {
  forward: () => read(conv(x, w)),
  dx: () => read(pullX(g)),
  dw: () => read(pullW(g)),
  gemm: () => read(matmul(a, b)),
  maxPool: () => read(maxPool2d(g, 2)),
  avgPool: () => read(avgPool2d(g, 2)),
  maxPoolGrad: () => read(pullMax(gp)),
  avgPoolGrad: () => read(pullAvg(gp)),
};
// TF.js: NHWC images, HWIO filters; the input gradient is conv2dTranspose (its Conv2DBackpropInput kernel)
const tx = tf.tensor(xv, [batch, channels, size, size]).transpose([0, 2, 3, 1]);
const tw = tf.tensor(wv, [channels, channels, 3, 3]).transpose([2, 3, 1, 0]);
const tg = tf.tensor(gv, [batch, channels, size, size]).transpose([0, 2, 3, 1]);
const tfRead = async (t: any) => {
  await t.data();
  t.dispose();
};
const theirs: Record<string, () => Promise<void>> = {
  forward: () => tfRead(tf.conv2d(tx, tw, 1, 'same')),
  dx: () => tfRead(tf.conv2dTranspose(tg, tw, [batch, size, size, channels], 1, 'same')),
  maxPool: () => tfRead(tf.maxPool(tg, 2, 2, 'valid')),
  avgPool: () => tfRead(tf.avgPool(tg, 2, 2, 'valid')),
};
const tgp = tf.tensor(await gp.data(), [batch, channels, size / 2, size / 2]).transpose([0, 2, 3, 1]);
for (const [name, op] of [['maxPoolGrad', tf.maxPool], ['avgPoolGrad', tf.avgPool]] as const) {
  try {
    const pull = tf.grad((xx: any) => op(xx, 2, 2, 'valid'));
    await tfRead(pull(tg, tgp));
    theirs[name] = () => tfRead(pull(tg, tgp));
  } catch {
    // not measured: its wasm backend lacks the kernel (the line says n/a)
  }
}
let dwNote = '';
try {
  const dw = tf.grad((f: any) => tf.conv2d(tx, f, 1, 'same'));
  await tfRead(dw(tw, tf.conv2d(tx, tw, 1, 'same')));
  theirs.dw = () => tfRead(dw(tw, tg));
  dwNote = ' (tf.grad: includes its forward)';
} catch (e) {
  dwNote = ` (not measured: ${(e as Error).message.slice(0, 80)})`;
}

const runs = [...Object.entries(ours).map(([k, f]) => [`ours ${k}`, f] as const), ...Object.entries(theirs).map(([k, f]) => [`TF.js ${k}`, f] as const)];
const times = new Map<string, number[]>(runs.map(([name]) => [name, []]));
for (let r = 0; r < reps + 2; r++) {
  for (const [name, f] of runs) {
    const t0 = performance.now();
    await f();
    if (r >= 2) times.get(name)!.push(performance.now() - t0); // two warm-up rounds
  }
}
const ms = (name: string) => median(times.get(name)!);
const gflops = (name: string, flops: number) => (times.has(name) ? `${(flops / ms(name) / 1e6).toFixed(2)} GFLOP/s (${ms(name).toFixed(1)} ms)` : 'n/a');
console.log(`conv2d 3x3 padding 1, batch ${batch}, ${channels}→${channels} channels, ${size}×${size}; webasm vs TF.js ${tf.version_core} wasm (XNNPACK); median of ${reps} alternating rounds after 2 warm-up`);
console.log(`GEMM [${channels}, ${k2}] × [${k2}, ${pixels}]: ${gflops('ours gemm', convFlops)}`);
for (const part of ['forward', 'dx', 'dw']) {
  const share = (ms('ours gemm') / ms(`ours ${part}`)) * 100;
  const vsTf = times.has(`TF.js ${part}`) ? `  TF.js ${gflops(`TF.js ${part}`, convFlops)}${part === 'dw' ? dwNote : ''}  ours/TF.js ${(ms(`TF.js ${part}`) / ms(`ours ${part}`)).toFixed(2)}` : `  TF.js n/a${part === 'dw' ? dwNote : ''}`;
  console.log(`${part.padEnd(8)} ours ${gflops(`ours ${part}`, convFlops)} = ${share.toFixed(0)}% of the GEMM's${vsTf}`);
}
for (const p of ['maxPool', 'avgPool', 'maxPoolGrad', 'avgPoolGrad']) {
  const tfPart = times.has(`TF.js ${p}`) ? `TF.js ${ms(`TF.js ${p}`).toFixed(1)} ms (TF.js/ours ${(ms(`TF.js ${p}`) / ms(`ours ${p}`)).toFixed(2)})` : 'TF.js n/a (no wasm kernel)';
  console.log(`${p.padEnd(11)} 2x2: ours ${ms(`ours ${p}`).toFixed(1)} ms, ${tfPart}`);
}
process.exit(0);
