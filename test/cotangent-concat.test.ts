// The cotangent of a tensor cut into slices that tile an axis (chunk's q, k and v) is one concat of
// the slices' cotangents, not a zero pad each and their sum: the same values (against a float64
// reference and finite differences), one kernel; pads that do not tile the axis stay pads.
import * as sv from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { eachBackend } from './support/backends.js';
import { checkOp } from './support/op-check.js';
import { type Ref } from './support/reference.js';

/** q·1 + k·k·2 + v·3 over the three equal parts of the last axis of x [2, 3, 6]. */
const parts = (x: Tensor) => {
  const [q, k, v] = sv.chunk(x as Tensor<[2, 3, 6]>, 3);
  return sv.add(sv.add(q, sv.mulScalar(sv.mul(k, k), 2)), sv.mulScalar(v, 3));
};
const partsRef = (x: Ref): Ref => {
  const data = new Float64Array(12);
  for (let r = 0; r < 6; r++) for (let j = 0; j < 2; j++) data[r * 2 + j] = x.data[r * 6 + j] + 2 * x.data[r * 6 + 2 + j] ** 2 + 3 * x.data[r * 6 + 4 + j];
  return { shape: [2, 3, 2], data };
};

eachBackend('the cotangent of slices that tile an axis is one concat: values, and no pad in the plan', async (t) => {
  await checkOp(t, { inputs: [{ shape: [2, 3, 6] }], ours: parts, ref: partsRef });
  const x = sv.randn([2, 3, 6], { seed: 4 });
  const [, entries] = await sv.profile(async () => {
    const g = sv.grad((y: Tensor) => sv.sum(parts(y)))(x);
    await g.data();
    g.dispose();
  });
  const calls = (label: string) => entries.find((e) => e.kernel === label)?.calls ?? 0;
  t.is(calls('pad'), 0);
  t.is(calls('concat'), 1);
  // two of the three parts used: their pads do not tile the axis, so they stay pads
  const [, partial] = await sv.profile(async () => {
    const g = sv.grad((y: Tensor) => {
      const [q, , v] = sv.chunk(y as Tensor<[2, 3, 6]>, 3);
      return sv.sum(sv.mul(q, v));
    })(x);
    t.deepEqual([...g.shape], [2, 3, 6]);
    await g.data();
    g.dispose();
  });
  t.is(partial.find((e) => e.kernel === 'pad')?.calls, 2);
  x.dispose();
});
