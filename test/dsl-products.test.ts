// prod, cumprod, argmax and argmin on every backend: forward against a float64 reference,
// gradients against central finite differences (also with one and several zeros: prod and cumprod
// are linear in each input, so finite differences are exact there too), ties to the first index,
// no gradient through an index, and vmap (and vmap of grad) against the op on each example.
import type { ExecutionContext } from 'ava';
import * as sv from '../src/index.js';
import { fromTypedArray, grad, jit, mul, sum, vmap, type Tensor } from '../src/index.js';
import { eachBackend } from './support/backends.js';
import { checkOp } from './support/op-check.js';
import { alongAxis, assertClose, finiteDifferences, randomArray, sizeOf, type Ref } from './support/reference.js';

type Loose = Tensor<any>;
type AnyOp = (...a: unknown[]) => Tensor;
const prod = sv.prod as unknown as AnyOp;
const cumprod = sv.cumprod as unknown as AnyOp;
const argmax = sv.argmax as unknown as AnyOp;
const argmin = sv.argmin as unknown as AnyOp;

const product = (f: number[]) => f.reduce((p, v) => p * v, 1);
const running = (f: number[]) => f.map((_, k) => product(f.slice(0, k + 1)));
const norm = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

/** Reference over a list of axes: one axis at a time (the others kept), then the dropped ones removed. */
function prodRef(x: Ref, axes: readonly number[] | undefined, keepDims: boolean): Ref {
  const list = (axes ?? x.shape.map((_, k) => k)).map((a) => norm(a, x.shape.length));
  let r = x;
  for (const a of list) r = alongAxis(r, a, (f) => [product(f)], true);
  return keepDims ? r : { shape: x.shape.filter((_, k) => !list.includes(k)), data: r.data };
}

for (const [axis, keepDims] of [[1, false], [0, true], [-1, false], [[0, 2], false], [[2, 0], true], [undefined, false], [undefined, true]] as const) {
  eachBackend(`prod over ${JSON.stringify(axis) ?? 'everything'}${keepDims ? ' keepDims' : ''}`, async (t) => {
    await checkOp(t, {
      inputs: [{ shape: [3, 4, 2], lo: 0.5, hi: 1.5 }],
      ours: (x) => prod(x, axis, keepDims),
      ref: (x) => prodRef(x, axis === undefined ? undefined : typeof axis === 'number' ? [axis] : axis, keepDims),
    });
  });
}

for (const axis of [0, 1, -1]) {
  eachBackend(`cumprod along axis ${axis}`, async (t) => {
    await checkOp(t, { inputs: [{ shape: [3, 4], lo: -1.5, hi: 1.5 }], ours: (x) => cumprod(x, axis), ref: (x) => alongAxis(x, norm(axis, 2), running) });
  });
}

/** The gradient of sum(w · op(x)) for given values of x, against finite differences of the reference. */
async function gradientAt(t: ExecutionContext, values: readonly number[], shape: readonly number[], ours: (x: Tensor) => Tensor, ref: (x: Ref) => Ref, what: string): Promise<void> {
  const x = fromTypedArray(values, shape);
  const expectedShape = ref({ shape, data: Float64Array.from(values) }).shape;
  const weights = randomArray(sizeOf(expectedShape), 5).map(Math.fround);
  const w = fromTypedArray(weights, expectedShape);
  const g = grad((p: Tensor) => sum(mul(ours(p), w)))(x);
  const fd = finiteDifferences(Float64Array.from(values), (v) => ref({ shape, data: v }).data.reduce((s, o, i) => s + o * weights[i], 0));
  assertClose(t, await g.data(), fd, 1e-4, 1e-4, what);
  [x, w, g].forEach((v) => v.dispose());
}

const withZeros: Array<[string, number[]]> = [
  ['one zero per row', [2, 0, 3, -1, 0.5, 1.5, 0, 2]],
  ['two zeros in a row', [0, 2, 0, 3, 1, -2, 0.5, 0]],
  ['every row zeros', [0, 0, 0, 0, 1, 0, 2, 3]],
];
for (const [name, values] of withZeros) {
  eachBackend(`prod's gradient with zeros (${name}) is the product of the other factors`, async (t) => {
    await gradientAt(t, values, [2, 4], (x) => prod(x, 1), (x) => prodRef(x, [1], false), 'axis 1');
    await gradientAt(t, values, [2, 4], (x) => prod(x), (x) => prodRef(x, undefined, false), 'everything');
    await gradientAt(t, values, [2, 2, 2], (x) => prod(x, [0, 2], true), (x) => prodRef(x, [0, 2], true), 'axes [0, 2]');
  });
  eachBackend(`cumprod's gradient with zeros (${name})`, async (t) => {
    await gradientAt(t, values, [2, 4], (x) => cumprod(x, 1), (x) => alongAxis(x, 1, running), 'axis 1');
    await gradientAt(t, values, [2, 4], (x) => cumprod(x, 0), (x) => alongAxis(x, 0, running), 'axis 0');
  });
}

eachBackend('prod with a single zero: that position gets the product of the rest, the others 0 (as PyTorch)', async (t) => {
  const g = grad((p: Tensor) => prod(p) as Tensor<[]>)(sv.tensor([2, 0, 3, 4], [4]));
  t.deepEqual([...(await g.data())], [0, 24, 0, 0]);
  const g2 = grad((p: Tensor) => prod(p) as Tensor<[]>)(sv.tensor([2, 0, 3, 0], [4]));
  t.deepEqual([...(await g2.data())].map((v) => v + 0), [0, 0, 0, 0]);
  t.deepEqual([...(await prod(sv.tensor([[1, 2], [3, 4]], [2, 2]), 0).data())], [3, 8]);
  t.deepEqual([...(await cumprod(sv.tensor([1, 2, 3, 0, 5], [5]), 0).data())], [1, 2, 6, 0, 0]);
});

/** numpy's argmax / argmin along an axis (first index on ties), as a float64 reference. */
function argRef(x: Ref, axis: number | undefined, keepDims: boolean, largest: boolean): Ref {
  const pick = (f: number[]) => [f.reduce((at, v, k) => ((largest ? v > f[at] : v < f[at]) ? k : at), 0)];
  if (axis === undefined) return { shape: keepDims ? x.shape.map(() => 1) : [], data: Float64Array.of(pick([...x.data])[0]) };
  return alongAxis(x, norm(axis, x.shape.length), pick, keepDims);
}

// integers in [0, 4): many ties
const tied = Array.from(randomArray(24, 3, 0, 4), Math.floor);
for (const [name, f, largest] of [['argmax', argmax, true], ['argmin', argmin, false]] as const) {
  for (const [axis, keepDims] of [[0, false], [1, true], [2, false], [-1, false], [-3, true], [undefined, false], [undefined, true]] as const) {
    eachBackend(`${name} over ${axis ?? 'everything'}${keepDims ? ' keepDims' : ''}, first index on ties`, async (t) => {
      const x = fromTypedArray(tied, [2, 3, 4]);
      const expected = argRef({ shape: [2, 3, 4], data: Float64Array.from(tied) }, axis, keepDims, largest);
      const out = f(x, axis, keepDims);
      t.deepEqual([...out.shape], [...expected.shape]);
      t.deepEqual([...(await out.data())], [...expected.data]);
    });
  }
}

eachBackend('an index has no gradient: the loss is differentiated as if it were a constant (stopGradient)', async (t) => {
  const x = sv.tensor([[1, 5, 2], [7, 0, 7]], [2, 3]);
  // d/dx sum(x · argmax(x, 1, keepDims)) = argmax(x, 1, keepDims) broadcast
  const g = grad((p: Tensor) => sum(mul(p, argmax(p, 1, true))))(x);
  t.deepEqual([...(await g.data())], [1, 1, 1, 0, 0, 0]);
  const [, tangent] = sv.jvp((p: Tensor) => argmin(p, 0), [x], [sv.ones([2, 3])]);
  t.deepEqual([...(await tangent.data())].map((v) => v + 0), [0, 0, 0]);
});

eachBackend('vmap: prod, cumprod, argmax and their gradients equal the op on each example, eagerly and under jit', async (t) => {
  const xs = fromTypedArray([...randomArray(3 * 2 * 4, 9, -1.5, 1.5)].map((v, k) => (k % 7 === 0 ? 0 : v)), [3, 2, 4]) as Loose;
  const f = (x: Tensor) => [prod(x, 1), cumprod(x, 0), argmax(x, -1), argmin(x), grad((p: Tensor) => sum(prod(p, 0)))(x), grad((p: Tensor) => sum(mul(cumprod(p, 1), p)))(x)];
  const batched = vmap(f)(xs);
  const compiled = await jit((v: Loose) => vmap(f)(v))(xs);
  const host = await xs.data();
  for (let b = 0; b < 3; b++) {
    const one = f(fromTypedArray(host.subarray(b * 8, b * 8 + 8), [2, 4]));
    for (const [k, out] of one.entries()) {
      const want = await out.data();
      for (const got of [batched[k], compiled[k]]) assertClose(t, (await got.data()).subarray(b * want.length, (b + 1) * want.length), want, 1e-5, 1e-5, `output ${k} of example ${b}`);
    }
  }
});
