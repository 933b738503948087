// Forward mode and second derivatives through the ops whose VJP rules emit primitives of their own
// (softmax, logSoftmax, layerNorm, max, relu, gelu, crossEntropy): jvp against central finite
// differences of float64 references, eagerly and under jit; jacfwd = jacrev; ⟨u, J v⟩ = ⟨Jᵀ u, v⟩;
// the Hessian of a small MLP loss against finite differences of its gradient; a third derivative.
// A rule that is missing somewhere in a derivative still fails naming its primitive.
import test from 'ava';
import {
  apply, crossEntropy, cumprod, definePrimitive, fromTypedArray, gelu, grad, hessian, jacfwd, jacrev, jit, jvp, labelTensor, layerNorm, logSoftmax, matmul, max, mean,
  mul, prod, relu, reshape, slice, softmax, sum, tensor, vjp, type Tensor,
} from '../src/index.js';
import { eachBackend } from './support/backends.js';
import { assertClose, randomArray } from './support/reference.js';

type X = Tensor<[2, 5]>;
const rows = (x: ArrayLike<number>) => [Array.from(x).slice(0, 5), Array.from(x).slice(5, 10)];
const logSumExp = (r: number[]) => {
  const m = Math.max(...r);
  return m + Math.log(r.reduce((s, v) => s + Math.exp(v - m), 0));
};
/** erf by its Taylor series (float64-exact for |x| < 3) */
function erf(x: number): number {
  let term = x;
  let total = x;
  for (let n = 1; n < 80; n++) {
    term *= (-x * x) / n;
    total += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * total;
}
const W = randomArray(5, 11, 0.5, 1.5);
const B = randomArray(5, 12);
const LABELS = [3, 0];

interface Case {
  readonly name: string;
  readonly f: (x: X) => Tensor;
  /** f in float64 on the host, flattened */
  readonly host: (x: ArrayLike<number>) => number[];
}

const cases: Case[] = [
  { name: 'softmax', f: (x) => softmax(x), host: (x) => rows(x).flatMap((r) => r.map((v) => Math.exp(v - logSumExp(r)))) },
  {
    name: 'logSoftmax (axis 0)',
    f: (x) => logSoftmax(x, 0),
    host: (x) => {
      const lse = [0, 1, 2, 3, 4].map((c) => logSumExp([x[c], x[5 + c]]));
      return Array.from(x, (v, i) => v - lse[i % 5]);
    },
  },
  {
    name: 'layerNorm',
    f: (x) => layerNorm(x, fromTypedArray(W, [5]), fromTypedArray(B, [5])),
    host: (x) =>
      rows(x).flatMap((r) => {
        const m = r.reduce((s, v) => s + v, 0) / 5;
        const v = r.reduce((s, u) => s + (u - m) ** 2, 0) / 5;
        return r.map((u, c) => ((u - m) / Math.sqrt(v + 1e-5)) * W[c] + B[c]);
      }),
  },
  { name: 'max', f: (x) => max(x, 1), host: (x) => rows(x).map((r) => Math.max(...r)) },
  { name: 'prod', f: (x) => prod(x, 1), host: (x) => rows(x).map((r) => r.reduce((p, v) => p * v, 1)) },
  { name: 'cumprod (axis 0)', f: (x) => cumprod(x, 0), host: (x) => Array.from(x, (v, i) => (i < 5 ? v : v * x[i - 5])) },
  { name: 'relu', f: (x) => relu(x), host: (x) => Array.from(x, (v) => Math.max(v, 0)) },
  { name: 'gelu', f: (x) => gelu(x), host: (x) => Array.from(x, (v) => 0.5 * v * (1 + erf(v / Math.SQRT2))) },
  {
    name: 'crossEntropy',
    f: (x) => crossEntropy(x, labelTensor(LABELS, 5, 2), 0.1),
    host: (x) => rows(x).map((r, n) => logSumExp(r) - 0.9 * r[LABELS[n]] - (0.1 / 5) * r.reduce((s, v) => s + v, 0)),
  },
];

// distinct values away from relu's kink, so every function is smooth at x
const XS = randomArray(10, 3, -2, 2).map((v) => (Math.abs(v) < 0.1 ? v + 0.3 : v));
const V = randomArray(10, 4);
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, v, k) => s + v * b[k], 0);

/** J(x) v by central differences of the float64 reference. */
function jvpFd(host: Case['host'], x: Float64Array, v: Float64Array, h = 1e-5): number[] {
  const up = host(x.map((u, k) => u + h * v[k]));
  const down = host(x.map((u, k) => u - h * v[k]));
  return up.map((u, k) => (u - down[k]) / (2 * h));
}

eachBackend('jvp through softmax, logSoftmax, layerNorm, max, relu, gelu, crossEntropy: finite differences, jit, ⟨u, J v⟩ = ⟨Jᵀ u, v⟩, jacfwd = jacrev', async (t) => {
  const x = fromTypedArray(XS, [2, 5]);
  const v = fromTypedArray(V, [2, 5]);
  for (const { name, f, host } of cases) {
    const want = jvpFd(host, XS, V);
    const [y, jv] = jvp(f, [x], [v]);
    assertClose(t, await y.data(), host(XS), 1e-5, 1e-4, `${name}: primal`);
    assertClose(t, await jv.data(), want, 1e-4, 1e-3, `${name}: J v`);
    const jitted = jit((a: X, b: X) => jvp(f, [a], [b])[1]);
    assertClose(t, await (await jitted(x, v)).data(), want, 1e-4, 1e-3, `${name}: jit(jvp)`);
    jitted.dispose();
    const u = fromTypedArray(randomArray(y.size, 5), y.shape);
    const [, pullback] = vjp(f, x);
    const jtu = await pullback(u).data();
    pullback.dispose();
    const lhs = dot(await u.data(), await jv.data());
    t.true(Math.abs(lhs - dot(jtu, V)) < 1e-4 * (1 + Math.abs(lhs)), `${name}: ⟨u, J v⟩ = ⟨Jᵀ u, v⟩`);
    const flat = (z: Tensor<[10]>) => reshape(f(reshape(z, [2, 5])), [y.size]);
    const fwd = await jacfwd(flat)(reshape(x, [10])).data();
    const rev = await jacrev(flat)(reshape(x, [10])).data();
    assertClose(t, fwd, rev, 1e-5, 1e-4, `${name}: jacfwd = jacrev`);
  }
});

// a small MLP, its parameters packed in one vector θ: layerNorm → relu → linear → softmax cross-entropy
// (its constants made per call: tensors stay on the backend that first computes them)
const IN = randomArray(12, 21);
const MLP_LABELS = [2, 0, 1];
const THETA = randomArray(4 * 3 + 3 * 3, 22);
const LN_W = randomArray(3, 23, 0.5, 1.5);
const LN_B = randomArray(3, 24);
const mlpLoss = (theta: Tensor<[21]>): Tensor<[]> => {
  const w1 = reshape(slice(theta, 0, 0, 12), [4, 3]);
  const w2 = reshape(slice(theta, 0, 12, 21), [3, 3]);
  const hidden = relu(layerNorm(matmul(fromTypedArray(IN, [3, 4]), w1), fromTypedArray(LN_W, [3]), fromTypedArray(LN_B, [3])));
  return mean(crossEntropy(matmul(hidden, w2), labelTensor(MLP_LABELS, 3, 3)));
};

eachBackend('hessian of an MLP loss (layerNorm, relu, softmax cross-entropy): finite differences of grad, symmetric, jacfwd = jacrev, under jit', async (t) => {
  const theta = fromTypedArray(THETA, [21]);
  const H = hessian(mlpLoss)(theta);
  t.deepEqual(H.shape, [21, 21]);
  const hs = await H.data();
  // column k: (grad(θ + h e_k) - grad(θ - h e_k)) / 2h, in float32 (h large enough for its rounding)
  const gradJit = jit(grad(mlpLoss));
  const h = 1e-2;
  const fd = new Float64Array(21 * 21);
  for (let k = 0; k < 21; k++) {
    const up = await (await gradJit(fromTypedArray(THETA.map((v, j) => (j === k ? v + h : v)), [21]))).data();
    const down = await (await gradJit(fromTypedArray(THETA.map((v, j) => (j === k ? v - h : v)), [21]))).data();
    for (let j = 0; j < 21; j++) fd[j * 21 + k] = (up[j] - down[j]) / (2 * h);
  }
  gradJit.dispose();
  assertClose(t, hs, fd, 2e-3, 2e-2, 'hessian vs finite differences of grad');
  t.true(hs.some((v) => Math.abs(v) > 1e-2), 'the Hessian is not zero');
  assertClose(t, hs, Float64Array.from({ length: 441 }, (_, i) => hs[(i % 21) * 21 + Math.floor(i / 21)]), 1e-5, 1e-4, 'symmetric');
  const rev = await jacrev(grad(mlpLoss))(theta).data();
  assertClose(t, rev, hs, 1e-5, 1e-4, 'jacrev(grad) = jacfwd(jacrev)');
  const jitted = jit(hessian(mlpLoss));
  assertClose(t, await (await jitted(theta)).data(), hs, 1e-5, 1e-4, 'jit(hessian)');
  jitted.dispose();
});

eachBackend('third derivatives through softmax, layerNorm and gelu: jacfwd of the Hessian against finite differences of the Hessian', async (t) => {
  const c = fromTypedArray(randomArray(4, 31), [4]);
  const w = fromTypedArray(randomArray(4, 32, 0.5, 1.5), [4]);
  const zero = fromTypedArray(new Float64Array(4), [4]);
  const g = (x: Tensor<[4]>): Tensor<[]> => sum(mul(softmax(gelu(layerNorm(x, w, zero))), c));
  const x0 = randomArray(4, 33);
  const third = await jacfwd(hessian(g))(fromTypedArray(x0, [4])).data();
  const h = 1e-2;
  const fd = new Float64Array(64);
  for (let k = 0; k < 4; k++) {
    const up = await hessian(g)(fromTypedArray(x0.map((v, j) => (j === k ? v + h : v)), [4])).data();
    const down = await hessian(g)(fromTypedArray(x0.map((v, j) => (j === k ? v - h : v)), [4])).data();
    for (let j = 0; j < 16; j++) fd[j * 4 + k] = (up[j] - down[j]) / (2 * h);
  }
  assertClose(t, third, fd, 5e-3, 3e-2, 'third derivative');
});

eachBackend('Hessians of prod and cumprod are exact with a zero among the inputs (analytic, float64)', async (t) => {
  const xs = [0.7, 0, -1.3, 0.9, 1.1];
  const c = [0.5, -1, 2, 0.25, 1];
  // ∂²/∂x_i∂x_j of Π x = Π_{m ∉ {i, j}} x_m (i ≠ j); of Σ_l c_l Π_{m ≤ l} x_m, the terms l ≥ i, j
  const others = (i: number, j: number, upTo = 4) => xs.reduce((p, v, m) => (m === i || m === j || m > upTo ? p : p * v), 1);
  const hProd = Float64Array.from({ length: 25 }, (_, q) => (q % 6 === 0 ? 0 : others(Math.floor(q / 5), q % 5)));
  const hCum = Float64Array.from({ length: 25 }, (_, q) => {
    const [i, j] = [Math.floor(q / 5), q % 5];
    return i === j ? 0 : c.reduce((s, cl, l) => (l >= Math.max(i, j) ? s + cl * others(i, j, l) : s), 0);
  });
  const x = tensor(xs, [5]);
  assertClose(t, await hessian((v: Tensor<[5]>) => prod(v))(x).data(), hProd, 1e-5, 1e-5, 'hessian of prod');
  assertClose(t, await hessian((v: Tensor<[5]>) => sum(mul(cumprod(v, 0), tensor(c, [5]))))(x).data(), hCum, 1e-5, 1e-5, 'hessian of cumprod');
});

test('a derivative that needs a VJP rule a primitive lacks fails naming that primitive', (t) => {
  // x ↦ x², whose rule uses a primitive without a VJP: first derivatives work, second ones throw
  const twiceP = definePrimitive({ name: 'test-twice-no-vjp', shape: ([s]) => [...s], lowering: { arith: (m, [x]) => m.add(x, x) } });
  const squareP = definePrimitive({
    name: 'test-square',
    transforms: ['vjp'],
    shape: ([s]) => [...s],
    lowering: { arith: (m, [x]) => m.mul(x, x) },
    vjp: (g, _out, [x]) => [mul(g, apply(twiceP, [x], undefined))],
  });
  const f = (x: Tensor<[3]>): Tensor<[]> => sum(apply(squareP, [x], undefined));
  const x = tensor([1, 2, 3], [3]);
  t.notThrows(() => grad(f)(x));
  t.throws(() => hessian(f)(x), { message: /test-twice-no-vjp has no VJP/ });
  t.throws(() => jvp((v: Tensor<[3]>) => grad(f)(v), [x], [x]), { message: /test-twice-no-vjp has no VJP/ });
});
