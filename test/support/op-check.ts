// Checks one op on the current backend: forward against a float64 reference, and the gradient of
// sum(w * op(inputs)) from our VJPs against central finite differences of the reference.
import type { ExecutionContext } from 'ava';
import { fromTypedArray, mul, realize, sum, valueAndGrad, type Tensor } from '../../src/index.js';
import { assertClose, finiteDifferences, randomArray, sizeOf, type Ref } from './reference.js';

export interface InputSpec {
  readonly shape: readonly number[];
  readonly lo?: number;
  readonly hi?: number;
  /** explicit values (e.g. integer labels) */
  readonly values?: readonly number[];
  /** differentiate with respect to this input (default true) */
  readonly grad?: boolean;
}

export interface OpCase {
  readonly inputs: readonly InputSpec[];
  readonly ours: (...xs: Tensor[]) => Tensor;
  readonly ref: (...xs: Ref[]) => Ref;
  readonly atol?: number;
  readonly rtol?: number;
  readonly gradTol?: number;
  readonly skipGrad?: boolean;
}

export async function checkOp(t: ExecutionContext, c: OpCase, seed = 1): Promise<void> {
  const refs: Ref[] = c.inputs.map((spec, k) => ({
    shape: spec.shape,
    data: spec.values ? Float64Array.from(spec.values) : randomArray(sizeOf(spec.shape), seed * 97 + k, spec.lo ?? -1, spec.hi ?? 1).map(Math.fround),
  }));
  const leaves = refs.map((r) => fromTypedArray(r.data, r.shape));
  const expected = c.ref(...refs);
  const out = c.ours(...leaves);
  t.deepEqual([...out.shape], [...expected.shape], 'output shape');
  assertClose(t, await out.data(), expected.data, c.atol ?? 1e-5, c.rtol ?? 1e-4, 'forward');
  out.dispose();
  if (c.skipGrad) return leaves.forEach((l) => l.dispose());

  const weights = randomArray(sizeOf(expected.shape), seed * 131 + 7).map(Math.fround);
  const w = fromTypedArray(weights, expected.shape);
  const wrt = c.inputs.map((s, k) => (s.grad === false || s.values ? -1 : k)).filter((k) => k >= 0);
  const loss = (params: Tensor[]) => {
    const args = leaves.map((l, k) => (wrt.includes(k) ? params[wrt.indexOf(k)] : l));
    return sum(mul(c.ours(...args), w));
  };
  const [value, grads] = valueAndGrad(loss)(wrt.map((k) => leaves[k]));
  await realize([value, ...grads]);
  for (const [j, k] of wrt.entries()) {
    const refLoss = (x: Float64Array) => {
      const args = refs.map((r, i) => (i === k ? { shape: r.shape, data: x } : r));
      return c.ref(...args).data.reduce((s, v, i) => s + v * weights[i], 0);
    };
    const fd = finiteDifferences(refs[k].data, refLoss);
    const tol = c.gradTol ?? 2e-3;
    assertClose(t, await grads[j].data(), fd, tol, tol, `gradient of input ${k}`);
  }
  for (const x of [value, ...grads, w, ...leaves]) x.dispose();
}
