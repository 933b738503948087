// webasm's softmax and logSoftmax: the portable kernels with an exp-free e^v (gpu.js's webasm
// backend calls out to JavaScript for Math.exp once per lane, and softmax takes two per element).
import type { BackendLowering } from '../kernel-table.js';
import { expNegative } from '../arith.js';
import { softmaxRule, type ExpOfNonPositive } from '../ops/softmax.js';
import { rowLowering } from '../rows.js';

const expNonPositive: ExpOfNonPositive = (m, v) => expNegative(m, m.neg(v));
const softmaxOf = softmaxRule(false, expNonPositive);
const logSoftmaxOf = softmaxRule(true, expNonPositive);

export const webasmSoftmax: BackendLowering<'webasm', number> = (out, inputs, axis) => rowLowering(softmaxOf, out, inputs, axis);
export const webasmLogSoftmax: BackendLowering<'webasm', number> = (out, inputs, axis) => rowLowering(logSoftmaxOf, out, inputs, axis);
