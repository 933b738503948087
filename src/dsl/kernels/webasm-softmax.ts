// webasm's softmax and logSoftmax: the portable kernels with an exp-free e^v (gpu.js's webasm
// backend calls out to JavaScript for Math.exp once per lane, and softmax takes two per element).
import type { BackendLowering } from '../kernel-table.js';
import { localBinder } from '../kernel-source.js';
import { expNegative, sourceArith } from '../arith.js';
import { softmaxLowering, type ExpOfNonPositive } from '../ops/softmax.js';

const expNonPositive: ExpOfNonPositive = (v, into) => {
  const { lines, local } = localBinder(`${into}_`);
  const value = expNegative(sourceArith(local), `-(${v})`);
  return [...lines, `const ${into} = ${value};`].join('\n  ');
};

export const webasmSoftmax: BackendLowering<'webasm', number> = (out, [x], axis) => softmaxLowering(out, x, axis, false, expNonPositive);
export const webasmLogSoftmax: BackendLowering<'webasm', number> = (out, [x], axis) => softmaxLowering(out, x, axis, true, expNonPositive);
