// webgpu's softmax and logSoftmax: one kernel each, every thread re-reading its
// row (short rows: attention's tokens, a classifier's logits) instead of a row-statistics kernel
// and a second launch; long rows keep the portable two-kernel lowering.
import type { BackendLowering } from '../kernel-table.js';
import { kernelSource, singleKernel } from '../kernel-source.js';
import { softmaxLowering } from '../ops/softmax.js';
import type { Tensor } from '../tensor.js';

/** Longest row a thread re-reads whole; past it, a row kernel shares the work. */
const maxRowPerThread = 128;

/** `base`: statements binding the first element of thread i's row; `at(name)`: its l-th element. */
function rowOf(x: Tensor, axis: number) {
  const length = x.shape[axis];
  const inner = x.size / x.shape.slice(0, axis + 1).reduce((p, d) => p * d, 1);
  return {
    length,
    short: length <= maxRowPerThread,
    base: `const o = Math.floor((i + 0.5) / ${length * inner});\n  const base = o * ${length * inner} + (i % ${inner});`,
    at: (name: string) => `${name}[base + l${inner === 1 ? '' : ` * ${inner}`}]`,
  };
}

function oneKernelSoftmax(out: Tensor, x: Tensor, axis: number, log: boolean) {
  const row = rowOf(x, axis);
  if (!row.short) return softmaxLowering(out, x, axis, log);
  const body = [
    row.base,
    `let m = -3.4e38;`,
    `for (let l = 0; l < ${row.length}; l++) { m = Math.max(m, ${row.at('x')}); }`,
    `let s = 0.0;`,
    `for (let l = 0; l < ${row.length}; l++) { s += Math.exp(${row.at('x')} - m); }`,
    log ? 'return x[i] - m - Math.log(s);' : 'return Math.exp(x[i] - m) / s;',
  ];
  return singleKernel(kernelSource(['x'], body.join('\n  ')), out.size);
}

export const webgpuSoftmax: BackendLowering<'webgpu', number> = (out, [x], axis) => oneKernelSoftmax(out, x, axis, false);
export const webgpuLogSoftmax: BackendLowering<'webgpu', number> = (out, [x], axis) => oneKernelSoftmax(out, x, axis, true);
