// stopGradient, customVjp, jvp, jacfwd, jacrev and hessian against finite differences and against
// their definitions (⟨u, J v⟩ = ⟨Jᵀ u, v⟩, jacfwd = jacrev), on every backend, eagerly and under jit.
import test from 'ava';
import {
  add, concat, customVjp, div, exp, grad, hessian, jacfwd, jacrev, jit, jvp, log, matmul, max, mul, mulScalar, relu, reshape, sqrt, stopGradient, sum,
  tanh, tensor, addScalar, neg, vjp, vmap, fromTypedArray, type Tensor,
} from '../src/index.js';
import { eachBackend } from './support/backends.js';
import { assertClose, finiteDifferences, randomArray } from './support/reference.js';

const W = randomArray(12, 3);
const X = randomArray(4, 5);
// f: R^4 → R^3, nonlinear in x
const f = (x: Tensor<[4]>): Tensor<[3]> => {
  const w = fromTypedArray(W, [3, 4]);
  return tanh(mul(reshape(matmul(w, reshape(x, [4, 1])), [3]), exp(mulScalar(reshape(matmul(w, reshape(x, [4, 1])), [3]), 0.5))));
};
/** f on the host in float64, for finite differences. */
function fHost(x: ArrayLike<number>): number[] {
  return [0, 1, 2].map((i) => {
    let z = 0;
    for (let j = 0; j < 4; j++) z += W[i * 4 + j] * x[j];
    return Math.tanh(z * Math.exp(0.5 * z));
  });
}
/** The Jacobian of fHost by central differences, row-major [3, 4]. */
function jacobianFd(x: Float64Array): Float64Array {
  const out = new Float64Array(12);
  for (let i = 0; i < 3; i++) out.set(finiteDifferences(x, (v) => fHost(v)[i]), i * 4);
  return out;
}
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, v, k) => s + v * b[k], 0);

eachBackend('jvp against finite differences and transposing vjp: ⟨u, J v⟩ = ⟨Jᵀ u, v⟩', async (t) => {
  const x = fromTypedArray(X, [4]);
  const V = randomArray(4, 7);
  const v = fromTypedArray(V, [4]);
  const u = fromTypedArray(randomArray(3, 9), [3]);
  const [y, jv] = jvp(f, [x], [v]);
  assertClose(t, await y.data(), fHost(X), 1e-5, 1e-4, 'primal');
  const J = jacobianFd(X);
  const want = [0, 1, 2].map((i) => dot(J.subarray(i * 4, i * 4 + 4), V));
  assertClose(t, await jv.data(), want, 2e-3, 2e-3, 'J v');
  const [, pullback] = vjp(f, x);
  const jtu = await pullback(u).data();
  t.true(Math.abs(dot(await u.data(), await jv.data()) - dot(jtu, await v.data())) < 1e-4, '⟨u, J v⟩ = ⟨Jᵀ u, v⟩');
  pullback.dispose();
});

eachBackend('jacfwd = jacrev = finite differences, typed [...O, ...I]; eager and under jit', async (t) => {
  const x = fromTypedArray(X, [4]);
  const fd = jacobianFd(X);
  const fwd: Tensor<[3, 4]> = jacfwd(f)(x);
  const rev: Tensor<[3, 4]> = jacrev(f)(x);
  t.deepEqual(fwd.shape, [3, 4]);
  assertClose(t, await fwd.data(), fd, 2e-3, 2e-3, 'jacfwd');
  assertClose(t, await rev.data(), await fwd.data(), 1e-5, 1e-4, 'jacrev = jacfwd');
  const jitted = jit((x: Tensor<[4]>) => [jacfwd(f)(x), jacrev(f)(x)] as const);
  const [jf, jr] = await jitted(x);
  assertClose(t, await jf.data(), fd, 2e-3, 2e-3, 'jit(jacfwd)');
  assertClose(t, await jr.data(), fd, 2e-3, 2e-3, 'jit(jacrev)');
  jitted.dispose();
});

eachBackend('hessian of a scalar function: analytic, symmetric, and grad composed with jvp', async (t) => {
  // g(x) = Σ exp(a·x) x², its Hessian: diag of (a² x² + 4a x + 2) e^{a x}
  const a = 0.7;
  const g = (x: Tensor<[3]>): Tensor<[]> => sum(mul(exp(mulScalar(x, a)), mul(x, x)));
  const xs = [0.3, -0.5, 1.1];
  const H: Tensor<[3, 3]> = hessian(g)(tensor(xs, [3]));
  const want = new Float64Array(9);
  xs.forEach((v, k) => (want[k * 4] = (a * a * v * v + 4 * a * v + 2) * Math.exp(a * v)));
  assertClose(t, await H.data(), want, 1e-4, 1e-4, 'hessian');
  // forward over reverse: jvp of grad is the Hessian-vector product
  const [, hv] = jvp((x: Tensor<[3]>) => grad(g)(x), [tensor(xs, [3])], [tensor([1, 2, -1], [3])]);
  assertClose(t, await hv.data(), [0, 1, 2].map((k) => want[k * 4] * [1, 2, -1][k]), 1e-4, 1e-4, 'Hv');
});

eachBackend('stopGradient: no cotangent flows back through it; jvp gives it a zero tangent', async (t) => {
  const x = tensor([1, -2, 3], [3]);
  const g = grad((v: Tensor<[3]>) => sum(mul(v, stopGradient(v))))(x);
  t.deepEqual([...(await g.data())], [1, -2, 3]);
  const [y, ty] = jvp((v: Tensor<[3]>) => add(stopGradient(mul(v, v)), v), [x], [tensor([1, 1, 1], [3])]);
  t.deepEqual([...(await y.data())], [2, 2, 12]);
  t.deepEqual([...(await ty.data())], [1, 1, 1]);
});

// a numerically stable rule: softplus(x) = log(1 + eˣ) = relu(x) + log(1 + e^-|x|), whose derived
// gradient goes through relu's kink; the stable rule is g / (1 + e⁻ˣ)
const stableSoftplus = (x: Tensor<[3]>) => add(relu(x), log(addScalar(exp(neg(add(relu(x), relu(neg(x))))), 1)));
const softplus = customVjp(stableSoftplus, (x: Tensor<[3]>) => [stableSoftplus(x), x] as const,
  (x, g) => [mul(g, div(tensor([1, 1, 1], [3]), addScalar(exp(neg(x)), 1)))],
);
// gradient clipping: identity forward, the cotangent scaled to norm at most 1
const clipGradient = customVjp(
  (x: Tensor<[3]>) => x,
  (x: Tensor<[3]>) => [x, null] as const,
  (_res, g) => {
    const norm = reshape(sqrt(sum(mul(g, g))), [1]);
    return [div(g, reshape(max(concat(norm, tensor([1], [1]), 0)), [1]))];
  },
);

eachBackend('customVjp: a numerically stable rule and gradient clipping, eager and under jit, and differentiated again', async (t) => {
  const x = tensor([100, 0, -3], [3]);
  const loss = (v: Tensor<[3]>) => sum(softplus(v));
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  assertClose(t, await grad(loss)(x).data(), [1, 0.5, sig(-3)], 1e-6, 1e-5, 'stable softplus gradient');
  assertClose(t, await (await jit(grad(loss))(x)).data(), [1, 0.5, sig(-3)], 1e-6, 1e-5, 'under jit');
  const y = tensor([3, -4, 0], [3]);
  const clipped = grad((v: Tensor<[3]>) => sum(mulScalar(mul(clipGradient(v), tensor([3, -4, 0], [3])), 1)))(y);
  assertClose(t, await clipped.data(), [0.6, -0.8, 0], 1e-6, 1e-5, 'clipped to norm 1');
  // the value is f's; forward mode goes through bwd (its rules are differentiable)
  const [v, tv] = jvp(softplus, [x], [tensor([1, 1, 1], [3])]);
  assertClose(t, await v.data(), [100, Math.log(2), Math.log1p(Math.exp(-3))], 1e-4, 1e-5, 'value');
  assertClose(t, await tv.data(), [1, 0.5, sig(-3)], 1e-6, 1e-5, 'jvp through bwd');
});

test('jvp checks its tangents', (t) => {
  const x = tensor([1, 2], [2]);
  t.throws(() => jvp((v: Tensor<[2]>) => relu(v), [x], [tensor([1, 2, 3], [3]) as unknown as Tensor<[2]>]), { message: /tangent 0 is \[3\], its primal \[2\]/ });
});

eachBackend('customVjp under vmap: per-example gradients through bwd', async (t) => {
  const xs = tensor([100, 0, -3, 1, 2, -1], [2, 3]);
  const perExample = vmap((x: Tensor<[3]>) => grad((v: Tensor<[3]>) => sum(softplus(v)))(x))(xs);
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  assertClose(t, await perExample.data(), [100, 0, -3, 1, 2, -1].map(sig), 1e-6, 1e-5, 'vmap(grad)');
});
