// min, argmin, logsumexp, variance, std, cumsum on every backend: forward vs a float64 reference,
// gradients vs finite differences.
import * as sv from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { eachBackend } from './support/backends.js';
import { checkOp } from './support/op-check.js';
import { alongAxis, type Ref } from './support/reference.js';

const any = sv as unknown as Record<string, (...a: unknown[]) => Tensor>;
const lse = (f: number[]) => {
  const m = Math.max(...f);
  return m + Math.log(f.reduce((s, v) => s + Math.exp(v - m), 0));
};
const variance = (f: number[]) => {
  const mu = f.reduce((s, v) => s + v, 0) / f.length;
  return f.reduce((s, v) => s + (v - mu) ** 2, 0) / f.length;
};
const reductions: Array<[string, (f: number[]) => number]> = [
  ['min', (f) => Math.min(...f)],
  ['logsumexp', lse],
  ['variance', variance],
  ['std', (f) => Math.sqrt(variance(f))],
];
for (const [name, f] of reductions) {
  for (const [axis, keepDims] of [[1, false], [0, true], [-1, true]] as const) {
    eachBackend(`${name} over axis ${axis}${keepDims ? ' keepDims' : ''}`, async (t) => {
      await checkOp(t, {
        inputs: [{ shape: [3, 5], lo: -2, hi: 2 }],
        ours: (x) => any[name](x, axis, keepDims),
        ref: (x) => alongAxis(x, axis < 0 ? axis + 2 : axis, (fiber) => [f(fiber)], keepDims),
      });
    });
  }
  eachBackend(`${name} over everything`, async (t) => {
    await checkOp(t, { inputs: [{ shape: [2, 3, 2] }], ours: (x) => any[name](x), ref: (x) => ({ shape: [], data: Float64Array.of(f([...x.data])) }) });
  });
}

eachBackend('argmin of rows (first on ties)', async (t) => {
  const x = sv.tensor([[3, 1, 2, 1], [0, 5, -1, 7]], [2, 4]);
  t.deepEqual([...(await sv.argmin(x, -1).data())], [1, 2]);
});

for (const axis of [0, 1, -1] as const) {
  eachBackend(`cumsum along axis ${axis}`, async (t) => {
    const scan = (fiber: number[]) => fiber.map((_, k) => fiber.slice(0, k + 1).reduce((s, v) => s + v, 0));
    await checkOp(t, { inputs: [{ shape: [3, 4] }], ours: (x) => sv.cumsum(x as never, axis as never) as Tensor, ref: (x: Ref) => alongAxis(x, axis < 0 ? 1 : axis, scan) });
  });
}
eachBackend('cumsum of a vector', async (t) => {
  t.deepEqual([...(await sv.cumsum(sv.tensor([1, 2, 3, 4], [4]), 0).data())], [1, 3, 6, 10]);
});

eachBackend('max and min share the gradient evenly among tied positions (as JAX and torch.amax)', async (t) => {
  const x = sv.tensor([[1, 3, 3, 0], [2, 2, 2, 5]], [2, 4]);
  const [gmax] = sv.grad((p: Tensor[]) => sv.sum(sv.max(p[0] as never, 1) as Tensor))([x]);
  t.deepEqual([...(await gmax.data())], [0, 0.5, 0.5, 0, 0, 0, 0, 1]);
  const [gmin] = sv.grad((p: Tensor[]) => sv.sum(sv.min(p[0] as never, 1) as Tensor))([x]);
  t.deepEqual([...(await gmin.data())].map((v) => Math.round(v * 1e6) / 1e6 + 0), [0, 0, 0, 1, 1 / 3, 1 / 3, 1 / 3, 0].map((v) => Math.round(v * 1e6) / 1e6 + 0));
});
