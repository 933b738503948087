// The structure ops against PyTorch 1.13 (test/support/torch-diff.ts; torch's side is
// test/support/torch_structure.py): forward and gradients of each op, the constructors through a
// product with an input, and random compositions of them.
import * as sv from '../src/index.js';
import type { Tensor } from '../src/index.js';
import test from 'ava';
import { torchDifferential, type TorchCase } from './support/torch-diff.js';

interface Step {
  op: string;
  args?: Record<string, unknown>;
}

// runtime shapes: each case is checked by the ops' shape rules
const any = sv as unknown as Record<string, (...a: any[]) => any>;

function ours(op: string, xs: Tensor[], a: Record<string, any>): Tensor {
  const [x] = xs;
  switch (op) {
    case 'stack':
    case 'concat':
      return any[op](xs, a.axis);
    case 'squeeze':
      return any.squeeze(x, a.axis ?? undefined);
    case 'expandDims':
      return any.expandDims(x, a.axis);
    case 'flatten':
      return any.flatten(x, a.start ?? 0, a.end ?? -1);
    case 'pad':
      return any.pad(x, a.widths, a.value ?? 0);
    case 'split':
      return any.split(x, a.spec, a.axis ?? 0)[a.part];
    case 'oneHot':
      return any.oneHot(x, a.n);
    case 'mulArange':
      return sv.mul(x, any.arange(a.start, a.stop, a.step));
    case 'mulEye':
      return sv.mul(x, any.eye(a.n, a.m));
    case 'mulLinspace':
      return sv.mul(x, any.linspace(a.start, a.stop, a.num));
    case 'concatSin':
      return any.concat([x, sv.sin(x)], a.axis);
    case 'stackSquareFlat':
      return any.flatten(any.stack([x, sv.square(x)], a.axis), a.axis, a.axis + 1);
    case 'sin':
      return sv.sin(x);
    case 'program':
      return (a.steps as Step[]).reduce((v, s) => ours(s.op, [v], s.args ?? {}), x);
  }
  throw new Error(`unknown op ${op}`);
}

const cases: TorchCase[] = [
  { name: 'stack 3 along axis 0', op: 'stack', args: { axis: 0 }, inputs: [{ shape: [2, 3] }, { shape: [2, 3] }, { shape: [2, 3] }] },
  { name: 'stack 2 along axis -1', op: 'stack', args: { axis: -1 }, inputs: [{ shape: [2, 3, 2] }, { shape: [2, 3, 2] }] },
  { name: 'stack 8 along axis 1 (groups of kernel inputs)', op: 'stack', args: { axis: 1 }, inputs: Array.from({ length: 8 }, () => ({ shape: [3] })) },
  { name: 'concat 3 along axis 1', op: 'concat', args: { axis: 1 }, inputs: [{ shape: [2, 1, 3] }, { shape: [2, 4, 3] }, { shape: [2, 2, 3] }] },
  { name: 'concat 7 along axis -1', op: 'concat', args: { axis: -1 }, inputs: Array.from({ length: 7 }, (_, k) => ({ shape: [2, 1 + (k % 3)] })) },
  { name: 'squeeze all', op: 'squeeze', args: {}, inputs: [{ shape: [1, 3, 1, 2] }] },
  { name: 'squeeze axes [0, -2]', op: 'squeeze', args: { axis: [0, -2] }, inputs: [{ shape: [1, 3, 1, 2] }] },
  { name: 'expandDims -1', op: 'expandDims', args: { axis: -1 }, inputs: [{ shape: [3, 2] }] },
  { name: 'flatten', op: 'flatten', args: {}, inputs: [{ shape: [2, 3, 4] }] },
  { name: 'flatten 1..2', op: 'flatten', args: { start: 1, end: 2 }, inputs: [{ shape: [2, 3, 4, 2] }] },
  { name: 'pad with zeros', op: 'pad', args: { widths: [[1, 2], [0, 1]] }, inputs: [{ shape: [2, 3] }] },
  { name: 'pad with a value', op: 'pad', args: { widths: [[0, 0], [2, 1], [1, 1]], value: -1.5 }, inputs: [{ shape: [2, 3, 2] }] },
  ...[0, 1, 2].map((part) => ({ name: `split 3 sections, part ${part}`, op: 'split', args: { spec: 3, axis: 0, part }, inputs: [{ shape: [6, 2] }] })),
  ...[0, 1, 2].map((part) => ({ name: `split at [2, 5] on axis 1, part ${part}`, op: 'split', args: { spec: [2, 5], axis: 1, part }, inputs: [{ shape: [2, 7] }] })),
  { name: 'oneHot', op: 'oneHot', args: { n: 4 }, inputs: [{ shape: [2, 3], values: [0, 3, 1, 2, 2, 0] }], grad: false },
  { name: 'arange', op: 'mulArange', args: { start: 1, stop: 4, step: 0.5 }, inputs: [{ shape: [2, 6] }] },
  { name: 'arange with a negative step', op: 'mulArange', args: { start: 3, stop: -2, step: -2 }, inputs: [{ shape: [3] }] },
  { name: 'eye', op: 'mulEye', args: { n: 3, m: 4 }, inputs: [{ shape: [3, 4] }] },
  { name: 'linspace', op: 'mulLinspace', args: { start: -1, stop: 2, num: 7 }, inputs: [{ shape: [7] }] },
  ...randomPrograms(8),
];

/** Random compositions of the structure ops on a rank-3 tensor (the shape tracked to keep each step valid). */
function randomPrograms(count: number): TorchCase[] {
  let seed = 4242;
  const next = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const int = (n: number) => Math.floor(next() * n);
  return Array.from({ length: count }, (_, k) => {
    let shape = [2, 3, 2];
    const steps: Step[] = [];
    for (let s = 0; s < 4 + int(3); s++) {
      const axis = int(3);
      const kind = int(5);
      if (kind === 0) {
        const widths = shape.map(() => [int(2), int(2)]);
        steps.push({ op: 'pad', args: { widths, value: next() - 0.5 } });
        shape = shape.map((d, j) => d + widths[j][0] + widths[j][1]);
      } else if (kind === 1) {
        steps.push({ op: 'concatSin', args: { axis } });
        shape = shape.map((d, j) => (j === axis ? 2 * d : d));
      } else if (kind === 2) {
        steps.push({ op: 'stackSquareFlat', args: { axis } });
        shape = shape.map((d, j) => (j === axis ? 2 * d : d));
      } else if (kind === 3 && shape[axis] >= 2) {
        const at = 1 + int(shape[axis] - 1);
        const part = int(2);
        steps.push({ op: 'split', args: { spec: [at], axis, part } });
        shape = shape.map((d, j) => (j === axis ? (part === 0 ? at : d - at) : d));
      } else {
        steps.push({ op: 'sin' });
      }
    }
    steps.push({ op: 'flatten', args: { start: 1 } });
    return { name: `random composition ${k}: ${steps.map((s) => s.op).join(' → ')}`, op: 'program', args: { steps }, inputs: [{ shape: [2, 3, 2] }] };
  });
}

torchDifferential('structure ops: forward and gradients equal PyTorch 1.13, also on random compositions', 'test/support/torch_structure.py', cases, ours);
test('the structure suite has a case per op and compositions', (t) => t.true(cases.length >= 30, `${cases.length} cases`));
