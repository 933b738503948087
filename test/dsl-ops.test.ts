// Every op, on every backend present: forward vs float64 reference, VJP vs finite differences.
import type { ExecutionContext } from 'ava';
import * as sv from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { eachBackend } from './support/backends.js';
import { checkOp } from './support/op-check.js';
import { alongAxis, binaryRef, erf, matmulRef, permuteRef, unaryRef, type Ref } from './support/reference.js';

const any = sv as unknown as Record<string, (...a: unknown[]) => Tensor>;

const unaryCases: Array<[string, (x: number) => number, number, number]> = [
  ['neg', (x) => -x, -2, 2],
  ['exp', Math.exp, -2, 2],
  ['log', Math.log, 0.2, 3],
  ['sqrt', Math.sqrt, 0.2, 3],
  ['rsqrt', (x) => 1 / Math.sqrt(x), 0.2, 3],
  ['tanh', Math.tanh, -3, 3],
  ['relu', (x) => Math.max(x, 0), -2, 2],
  ['gelu', (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)), -4, 4],
];

for (const [name, f, lo, hi] of unaryCases) {
  eachBackend(`${name} forward and gradient, odd size`, async (t) => {
    await checkOp(t, { inputs: [{ shape: [3, 7], lo, hi }], ours: (x) => any[name](x), ref: (x) => unaryRef(x, f), rtol: 2e-4, atol: 2e-5 });
  });
}

eachBackend('mulScalar and addScalar', async (t) => {
  await checkOp(t, { inputs: [{ shape: [5] }], ours: (x) => sv.addScalar(sv.mulScalar(x, -2.5), 0.75), ref: (x) => unaryRef(x, (v) => v * -2.5 + 0.75) });
});

const binaryCases: Array<[string, (a: number, b: number) => number]> = [
  ['add', (a, b) => a + b],
  ['sub', (a, b) => a - b],
  ['mul', (a, b) => a * b],
  ['div', (a, b) => a / b],
];
const broadcastPairs: Array<[number[], number[]]> = [
  [[2, 3], [2, 3]],
  [[2, 3, 4], [4]],
  [[1, 5, 3], [2, 1, 3]],
  [[1], [3, 1]],
];
for (const [name, f] of binaryCases) {
  for (const [sa, sb] of broadcastPairs) {
    eachBackend(`${name} [${sa}] with [${sb}]`, async (t) => {
      const lo = name === 'div' ? 0.5 : -1;
      await checkOp(t, { inputs: [{ shape: sa }, { shape: sb, lo, hi: 2 }], ours: (a, b) => any[name](a, b), ref: (a, b) => binaryRef(a, b, f) });
    });
  }
}

const sumRef = (x: Ref, axis: number, keep: boolean) => alongAxis(x, axis, (v) => [v.reduce((s, y) => s + y, 0)], keep);
const reductions: Array<[string, number[], number, boolean]> = [
  ['sum', [3, 4, 5], 1, false],
  ['sum', [3, 4, 5], -1, true],
  ['sum', [1, 1203], 1, false],
  ['mean', [2, 3, 7], 0, true],
  ['mean', [1, 1100], -1, false],
  ['max', [4, 6], 1, false],
  ['max', [3, 1050], 1, true],
];
for (const [name, shape, axis, keep] of reductions) {
  eachBackend(`${name} over axis ${axis} of [${shape}] keepDims=${keep}`, async (t) => {
    const a = axis < 0 ? axis + shape.length : axis;
    const ref = (x: Ref) =>
      name === 'sum'
        ? sumRef(x, a, keep)
        : name === 'mean'
          ? alongAxis(x, a, (v) => [v.reduce((s, y) => s + y, 0) / v.length], keep)
          : alongAxis(x, a, (v) => [Math.max(...v)], keep);
    await checkOp(t, { inputs: [{ shape }], ours: (x) => any[name](x, axis, keep), ref, atol: 1e-4 });
  });
}

// reductions over several axes (and all of them): the reference reduces one axis at a time
const multiAxis: Array<[string, number[], readonly number[] | undefined, boolean, (v: number[]) => number]> = [
  ['sum', [2, 3, 4], [0, 2], false, (v) => v.reduce((s, y) => s + y, 0)],
  ['mean', [3, 5], undefined, false, (v) => v.reduce((s, y) => s + y, 0) / v.length],
  ['max', [2, 3, 4], [-1, 1], true, (v) => Math.max(...v)],
  ['mean', [2, 3, 4], [0, 1], true, (v) => v.reduce((s, y) => s + y, 0) / v.length],
];
for (const [name, shape, axes, keep, f] of multiAxis) {
  eachBackend(`${name} over axes ${axes ? `[${axes}]` : 'all'} of [${shape}] keepDims=${keep}`, async (t) => {
    const norm = (axes ?? shape.map((_, k) => k)).map((a) => (a < 0 ? a + shape.length : a)).sort((p, q) => q - p);
    const ref = (x: Ref): Ref => {
      let r = x;
      for (const a of norm) r = alongAxis(r, a, (v) => [f(v)], true);
      return { shape: keep ? r.shape : r.shape.filter((_, k) => !norm.includes(k)), data: r.data };
    };
    const ours = (x: Tensor) => (axes ? any[name](x, axes, keep) : any[name](x));
    // max over several axes: a tie between fibers does not happen with random inputs
    await checkOp(t, { inputs: [{ shape }], ours, ref, atol: 1e-4 });
  });
}

eachBackend('patchify: [B, C, H, W] to [B, (H/P)(W/P), P*P*C] (torch reshape/permute order)', async (t) => {
  const patches = (x: Ref): Ref => {
    const [b, c, h, w] = x.shape;
    const p = 2;
    const six = permuteRef({ shape: [b, c, h / p, p, w / p, p], data: x.data }, [0, 2, 4, 3, 5, 1]);
    return { shape: [b, (h / p) * (w / p), p * p * c], data: six.data };
  };
  await checkOp(t, { inputs: [{ shape: [2, 3, 4, 6] }], ours: (x) => sv.patchify(x as Tensor<[number, number, number, number]>, 2), ref: patches });
});

eachBackend('chunk: equal parts of the last axis', async (t) => {
  for (const k of [0, 1, 2]) {
    await checkOp(t, {
      inputs: [{ shape: [2, 3, 6] }],
      ours: (x) => sv.chunk(x as Tensor<[number, number, number]>, 3)[k],
      ref: (x) => alongAxis(x, 2, (v) => v.slice(2 * k, 2 * k + 2)),
    });
  }
});

const softmaxRef = (v: number[]) => {
  const m = Math.max(...v);
  const e = v.map((x) => Math.exp(x - m));
  const s = e.reduce((p, x) => p + x, 0);
  return e.map((x) => x / s);
};
for (const [shape, axis] of [
  [[2, 5], -1],
  [[3, 4, 2], 1],
  [[1, 1030], -1],
  // attention-like rows (17 tokens) along the last axis and inside, with an odd inner size
  [[2, 3, 17], -1],
  [[2, 17, 9], 1],
] as Array<[number[], number]>) {
  eachBackend(`softmax and logSoftmax over axis ${axis} of [${shape}]`, async (t) => {
    const a = axis < 0 ? axis + shape.length : axis;
    await checkOp(t, { inputs: [{ shape, lo: -4, hi: 4 }], ours: (x) => sv.softmax(x, axis), ref: (x) => alongAxis(x, a, softmaxRef) });
    await checkOp(t, {
      inputs: [{ shape, lo: -4, hi: 4 }],
      ours: (x) => sv.logSoftmax(x, axis),
      ref: (x) => alongAxis(x, a, (v) => softmaxRef(v).map(Math.log)),
      atol: 1e-4,
    });
  });
}

// The exp-free forms (arith.ts: erf by A&S 7.1.28, e^-w by a series and squarings), which
// webasm's SIMD kernels and gpu.js kernels share, over their whole range, densely.
eachBackend('gelu and its gradient over [-10, 10] (4,099 points) are within 5e-6 of float64', async (t) => {
  const n = 4099;
  const xs = Float64Array.from({ length: n }, (_, i) => Math.fround(-10 + (20 * i) / (n - 1)));
  const x = sv.tensor(xs, [n]);
  const [, grad] = sv.valueAndGrad((p: Tensor<[4099]>) => sv.sum(sv.gelu(p)))(x);
  const [y, g] = [await sv.gelu(x).data(), await grad.data()];
  const phi = (v: number) => Math.exp(-v * v / 2) / Math.sqrt(2 * Math.PI);
  const cdf = (v: number) => 0.5 * (1 + erf(v / Math.SQRT2));
  let [worstY, worstG] = [0, 0];
  xs.forEach((v, i) => {
    worstY = Math.max(worstY, Math.abs(y[i] - v * cdf(v)) / Math.max(1, Math.abs(v)));
    worstG = Math.max(worstG, Math.abs(g[i] - (cdf(v) + v * phi(v))));
  });
  // float32 rounding of the exp-free forms on the float32 backends (cpu's gpu.js runs in doubles)
  t.true(worstY < 5e-6, `gelu: worst error ${worstY}`);
  t.true(worstG < 5e-6, `gelu gradient: worst error ${worstG}`);
});

// webasm's exp-free e^-w ((e^(-w/256))^256 in float32: 8 squarings grow a rounding error 256-fold)
// is within 3e-5 relative, and stands in e^-32 for smaller values: probabilities below ~1e-14 of the
// row's largest are not resolved (an absolute error)
eachBackend('softmax over a row whose logits span 0 to -45 (odd length 901) is within 3e-5 relative (3e-13 absolute) of float64', async (t) => {
  const n = 901;
  const xs = Float64Array.from({ length: n }, (_, i) => Math.fround(-0.05 * i));
  const y = await sv.softmax(sv.tensor(xs, [1, n])).data();
  const total = xs.reduce((s, v) => s + Math.exp(v), 0);
  let worst = 0;
  xs.forEach((v, i) => (worst = Math.max(worst, Math.abs(y[i] - Math.exp(v) / total) / (Math.exp(v) / total + 1e-8))));
  t.true(worst < 3e-5, `worst relative error ${worst}`);
});

eachBackend('softmax is stable for large logits', async (t) => {
  const x = sv.tensor([1000, 1001, 1002, -1000], [1, 4]);
  const y = await sv.softmax(x).data();
  t.true(y.every(Number.isFinite));
  t.true(Math.abs(y[2] - 0.66524) < 1e-4);
});

const layerNormRef = (x: Ref, w: Ref, b: Ref, eps: number) =>
  alongAxis(x, x.shape.length - 1, (v) => {
    const m = v.reduce((s, y) => s + y, 0) / v.length;
    const varr = v.reduce((s, y) => s + (y - m) ** 2, 0) / v.length;
    return v.map((y, k) => ((y - m) / Math.sqrt(varr + eps)) * w.data[k] + b.data[k]);
  });
for (const shape of [[2, 3, 6], [1, 1], [2, 1100], [3, 5, 17]]) {
  eachBackend(`layerNorm over the last axis of [${shape}]`, async (t) => {
    const e = shape[shape.length - 1];
    await checkOp(t, {
      inputs: [{ shape, lo: -2, hi: 2 }, { shape: [e] }, { shape: [e] }],
      ours: (x, w, b) => sv.layerNorm(x as Tensor<[...number[], number]>, w as Tensor<[number]>, b as Tensor<[number]>, 1e-5),
      ref: (x, w, b) => layerNormRef(x, w, b, 1e-5),
      atol: 1e-4,
      rtol: 1e-3,
      gradTol: e > 1000 ? 5e-3 : 2e-3,
    });
  });
}

const matmuls: Array<[number[], number[], boolean, boolean]> = [
  [[3, 4], [4, 5], false, false],
  [[2, 3, 4], [4, 5], false, false],
  [[2, 3, 4], [5, 4], false, true],
  [[2, 4, 3], [4, 5], true, false],
  [[2, 4, 3], [2, 5, 4], true, true],
  [[2, 2, 3, 4], [2, 2, 4, 1], false, false],
  [[1, 1, 1100], [1100, 2], false, false],
  // GEMM edges on webasm: row and column tails of its 4 x 8 tiles, odd k, shared b under a transposed a
  [[2, 9, 7], [2, 7, 19], false, false],
  [[2, 21, 9], [21, 17], true, false],
  [[10, 33], [18, 33], false, true],
  // webgpu's 4 outputs per thread (4 | n) under every transpose, b batched and shared, odd m and k
  [[9, 5], [5, 4], false, false],
  [[2, 7, 5], [2, 5, 8], false, false],
  [[2, 7, 5], [12, 5], false, true],
  [[3, 5, 6], [3, 5, 8], true, false],
  [[2, 3, 5], [3, 8], true, false],
  [[2, 5, 7], [2, 4, 5], true, true],
  [[3, 6, 5], [3, 9, 5], false, true],
  // webgpu's tiled WGSL kernel (a side over 32): partial tiles, every transpose, b batched and shared
  [[2, 37, 5], [2, 5, 34], false, false],
  [[35, 6], [40, 6], false, true],
  [[2, 6, 33], [6, 9], true, false],
  [[2, 7, 34], [2, 36, 7], true, true],
];
const checkMatmul = (t: ExecutionContext, [sa, sb, ta, tb]: [number[], number[], boolean, boolean], skipGrad: boolean) =>
  checkOp(t, {
    inputs: [{ shape: sa }, { shape: sb }],
    ours: (a, b) => sv.matmul(a, b as never, { transposeA: ta, transposeB: tb }) as Tensor,
    ref: (a, b) => matmulRef(a, b, ta, tb),
    atol: 1e-4,
    rtol: 1e-4,
    gradTol: 3e-3,
    skipGrad,
  });
const matmulTitle = ([sa, sb, ta, tb]: [number[], number[], boolean, boolean]) => `matmul [${sa}]${ta ? 'ᵀ' : ''} x [${sb}]${tb ? 'ᵀ' : ''}`;
for (const c of matmuls) eachBackend(matmulTitle(c), (t) => checkMatmul(t, c, false));

// Large enough that webasm splits them across its thread team (by rows, with a tail; by batches):
// forward against float64; their gradients are GEMMs of the same sizes, checked the same way.
const largeMatmuls: Array<[number[], number[], boolean, boolean]> = [
  [[300, 97], [97, 90], false, false],
  [[97, 300], [97, 90], true, false],
  [[300, 97], [90, 97], false, true],
  [[8, 64, 64], [8, 64, 72], false, false],
  [[7, 64, 66], [7, 72, 64], true, true],
  // a transposed A over 64 KiB is packed per row block on webasm (row tail 3, odd k, column tail 1)
  [[2, 1101, 19], [1101, 9], true, false],
  [[2, 1101, 19], [2, 1101, 9], true, false],
  // k summed in blocks on webasm (rows split across threads with a tail of 1, columns with a tail of 2, a shorter odd last block)
  [[97, 701], [701, 90], false, false],
  [[701, 97], [90, 701], true, true],
  // op(B) over 4 MiB, op(A) within 512 KiB: webasm packs one panel at a time, panels outside row blocks, split by columns
  [[2, 9, 17], [2, 17, 61699], false, false],
  [[2049, 8], [2049, 520], true, false],
  [[7, 5], [209999, 5], false, true],
  // op(A) over 512 KiB but a quarter of op(B) at most (a conv's weight gradient: k huge): panels outside too
  [[17, 8200], [130, 8200], false, true],
];
for (const c of largeMatmuls) eachBackend(`large ${matmulTitle(c)} (forward)`, (t) => checkMatmul(t, c, true));

eachBackend('reshape, permute and transpose', async (t) => {
  await checkOp(t, { inputs: [{ shape: [2, 3, 4] }], ours: (x) => sv.permute(sv.reshape(x, [6, 4]) as Tensor, [1, 0] as never) as Tensor, ref: (x) => permuteRef({ shape: [6, 4], data: x.data }, [1, 0]) });
  await checkOp(t, { inputs: [{ shape: [2, 3, 4, 5] }], ours: (x) => sv.permute(x, [2, 0, 3, 1] as never) as Tensor, ref: (x) => permuteRef(x, [2, 0, 3, 1]) });
  await checkOp(t, { inputs: [{ shape: [2, 3, 4] }], ours: (x) => sv.transpose(x) as Tensor, ref: (x) => permuteRef(x, [0, 2, 1]) });
});

eachBackend('concat, slice and take', async (t) => {
  const cat = (a: Ref, b: Ref, axis: number): Ref => {
    const shape = a.shape.map((d, k) => (k === axis ? d + b.shape[k] : d));
    const inner = a.shape.slice(axis + 1).reduce((p, d) => p * d, 1);
    const outer = a.shape.slice(0, axis).reduce((p, d) => p * d, 1);
    const data = new Float64Array(a.data.length + b.data.length);
    let o = 0;
    for (let r = 0; r < outer; r++) {
      for (const x of [a, b]) {
        const len = x.shape[axis] * inner;
        data.set(x.data.subarray(r * len, (r + 1) * len), o);
        o += len;
      }
    }
    return { shape, data };
  };
  await checkOp(t, { inputs: [{ shape: [2, 1, 3] }, { shape: [2, 4, 3] }], ours: (a, b) => sv.concat(a, b as never, 1) as Tensor, ref: (a, b) => cat(a, b, 1) });
  await checkOp(t, { inputs: [{ shape: [3, 2] }, { shape: [1, 2] }], ours: (a, b) => sv.concat(a, b as never, 0) as Tensor, ref: (a, b) => cat(a, b, 0) });
  // many rows of runs of vectors and single floats (webasm: a WebAssembly copy loop)
  await checkOp(t, { inputs: [{ shape: [5, 7, 6] }, { shape: [5, 2, 6] }], ours: (a, b) => sv.concat(a, b as never, 1) as Tensor, ref: (a, b) => cat(a, b, 1) });
  const sliceRef = (x: Ref, start: number, end: number): Ref =>
    alongAxis(x, 1, (v) => v.slice(start, end));
  await checkOp(t, { inputs: [{ shape: [2, 5, 3] }], ours: (x) => sv.slice(x, 1, 1, 4 as never) as Tensor, ref: (x) => sliceRef(x, 1, 4) });
  await checkOp(t, { inputs: [{ shape: [6, 11, 5] }], ours: (x) => sv.slice(x, 1, 2, 9 as never) as Tensor, ref: (x) => sliceRef(x, 2, 9) });
  await checkOp(t, {
    inputs: [{ shape: [2, 5, 3] }],
    ours: (x) => sv.take(x, 1, 0 as never) as Tensor,
    ref: (x) => {
      const r = sliceRef(x, 0, 1);
      return { shape: [2, 3], data: r.data };
    },
  });
});

eachBackend('splitHeads and mergeHeads (torch MultiheadAttention layout)', async (t) => {
  // [B, T, E] -> [B, H, T, E/H]: head h holds features h*D .. h*D+D-1
  await checkOp(t, {
    inputs: [{ shape: [2, 3, 6] }],
    ours: (x) => sv.splitHeads(x, 2 as never) as Tensor,
    ref: (x) => permuteRef({ shape: [2, 3, 2, 3], data: x.data }, [0, 2, 1, 3]),
  });
  await checkOp(t, {
    inputs: [{ shape: [2, 2, 3, 3] }],
    ours: (x) => sv.mergeHeads(x) as Tensor,
    ref: (x) => {
      const p = permuteRef(x, [0, 2, 1, 3]);
      return { shape: [2, 3, 6], data: p.data };
    },
  });
});

const crossEntropyRef = (x: Ref, y: Ref, eps: number): Ref => {
  const [n, c] = x.shape;
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const row = Array.from(x.data.subarray(i * c, (i + 1) * c));
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
    const logp = row.map((v) => v - lse);
    data[i] = -logp.reduce((s, v, k) => s + v * ((k === y.data[i] ? 1 - eps : 0) + eps / c), 0);
  }
  return { shape: [n], data };
};
for (const [n, c, eps] of [
  [4, 10, 0.1],
  [1, 3, 0],
  [3, 1200, 0.1],
]) {
  eachBackend(`crossEntropy with label smoothing ${eps} on [${n}, ${c}]`, async (t) => {
    const labels = Array.from({ length: n }, (_, i) => (i * 7 + 3) % c);
    await checkOp(t, {
      inputs: [{ shape: [n, c], lo: -3, hi: 3 }, { shape: [n], values: labels }],
      ours: (x, y) => sv.crossEntropy(x as Tensor<[number, number]>, y as Tensor<[number]>, eps),
      ref: (x, y) => crossEntropyRef(x, y, eps),
      atol: 1e-4,
    });
  });
}

eachBackend('argmax picks the first maximum', async (t) => {
  const x = sv.tensor([[1, 3, 3], [5, 0, 2]], [2, 3]);
  t.deepEqual([...(await sv.argmax(x, -1).data())], [1, 0]);
});

eachBackend('dropout keeps E[x] and is seeded', async (t) => {
  const x = sv.ones([4000]);
  const a = await sv.dropout(x, 0.25, 7).data();
  const b = await sv.dropout(x, 0.25, 7).data();
  t.deepEqual(a, b);
  const kept = a.filter((v) => v !== 0).length;
  t.true(Math.abs(kept / 4000 - 0.75) < 0.03);
  t.true(a.every((v) => v === 0 || Math.abs(v - 4 / 3) < 1e-6));
  await checkOp(t, {
    inputs: [{ shape: [3, 5] }],
    ours: (x) => sv.dropout(x, 0.5, 3),
    ref: (x) => {
      const mask = Array.from((sv.dropout(sv.ones([3, 5]), 0.5, 3) as Tensor).inputs[1].host ?? []);
      return { shape: x.shape, data: x.data.map((v, i) => v * mask[i]) };
    },
  });
});
