// Differential suite against PyTorch 1.13 for issue 18's indexing ops and products: prod (with
// zeros: torch's gradient), cumprod, argmax/argmin (ties), gather (numpy's take: torch.index_select),
// takeAlongAxis (torch.take_along_dim), scatterAdd (torch.Tensor.scatter_add), and random
// compositions of them with elementwise ops, forward and gradients on every backend.
import * as sv from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { torchDifferential, type TorchCase } from './support/torch-diff.js';

type AnyOp = (...a: unknown[]) => Tensor;
const any = sv as unknown as Record<string, AnyOp>;
const safe = ['sigmoid', 'sin', 'square', 'tanh', 'exp'];

function ours(op: string, xs: Tensor[], a: Record<string, any>): Tensor {
  switch (op) {
    case 'prod':
    case 'argmax':
    case 'argmin':
      return any[op](xs[0], a.axis ?? undefined, a.keepDims ?? false);
    case 'cumprod':
      return any.cumprod(xs[0], a.axis);
    case 'gather':
    case 'takeAlongAxis':
      return any[op](xs[0], xs[1], a.axis);
    case 'scatterAdd':
      return any.scatterAdd(xs[0], xs[1], xs[2], a.axis);
    case 'mul':
      return sv.mul(xs[0], xs[1]);
    case 'program':
      return (a.steps as Array<{ op: string; args?: Record<string, unknown>; inputs?: number[] }>).reduce((v, s) => ours(s.op, [v, ...(s.inputs ?? []).map((k) => xs[k])], s.args ?? {}), xs[0]);
  }
  if (safe.includes(op)) return any[op](xs[0]);
  throw new Error(`unknown op ${op}`);
}

// integers in [0, 3): ties for argmax / argmin
const tied = [2, 0, 2, 1, 1, 1, 0, 2, 0, 0, 1, 2, 2, 2, 0, 1, 0, 1, 1, 0, 2, 2, 1, 0];
const cases: TorchCase[] = [
  { name: 'prod axis 1', op: 'prod', args: { axis: 1 }, inputs: [{ shape: [3, 4, 2], lo: 0.5, hi: 1.5 }] },
  { name: 'prod axes [0, 2] keepDims', op: 'prod', args: { axis: [0, 2], keepDims: true }, inputs: [{ shape: [3, 4, 2], lo: -1.5, hi: 1.5 }] },
  { name: 'prod of everything', op: 'prod', inputs: [{ shape: [2, 3], lo: 0.5, hi: 1.5 }] },
  { name: 'prod with one zero and with two zeros per row', op: 'prod', args: { axis: -1 }, inputs: [{ shape: [3, 4], values: [2, 0, 3, -1, 0, 1.5, 0, 2, 0.5, -2, 1.5, 3] }] },
  { name: 'cumprod axis 1', op: 'cumprod', args: { axis: 1 }, inputs: [{ shape: [3, 4, 2], lo: -1.5, hi: 1.5 }] },
  { name: 'cumprod axis 0 with zeros', op: 'cumprod', args: { axis: 0 }, inputs: [{ shape: [4, 3], values: [2, 0, 3, 0, 1.5, 0, 2, 0.5, -2, 1.5, 3, 0] }] },
  ...(['argmax', 'argmin'] as const).flatMap((op) => [
    { name: `${op} axis 1 (ties)`, op, args: { axis: 1 }, inputs: [{ shape: [2, 3, 4], values: tied, grad: false }], grad: false },
    { name: `${op} axis -1 keepDims (ties)`, op, args: { axis: -1, keepDims: true }, inputs: [{ shape: [2, 3, 4], values: tied, grad: false }], grad: false },
    { name: `${op} of everything (ties)`, op, inputs: [{ shape: [2, 3, 4], values: tied, grad: false }], grad: false },
  ]),
  { name: 'gather axis 0 (an embedding lookup)', op: 'gather', args: { axis: 0 }, inputs: [{ shape: [5, 3] }, { shape: [2, 4], values: [4, 0, 0, 2, 1, 4, 3, 0], grad: false }] },
  { name: 'gather axis -1 with a scalar index', op: 'gather', args: { axis: -1 }, inputs: [{ shape: [2, 3, 4] }, { shape: [], values: [2], grad: false }] },
  { name: 'gather axis 1 with repeats', op: 'gather', args: { axis: 1 }, inputs: [{ shape: [2, 4, 3] }, { shape: [6], values: [3, 3, 0, 1, 3, 0], grad: false }] },
  { name: 'takeAlongAxis axis 1', op: 'takeAlongAxis', args: { axis: 1 }, inputs: [{ shape: [3, 4] }, { shape: [3, 5], values: [0, 3, 3, 1, 2, 2, 2, 0, 1, 3, 1, 1, 1, 1, 0], grad: false }] },
  { name: 'takeAlongAxis axis 0', op: 'takeAlongAxis', args: { axis: 0 }, inputs: [{ shape: [3, 2, 2] }, { shape: [2, 2, 2], values: [2, 0, 1, 1, 0, 0, 2, 2], grad: false }] },
  { name: 'takeAlongAxis broadcasting both ways', op: 'takeAlongAxis', args: { axis: -1 }, inputs: [{ shape: [2, 1, 4] }, { shape: [1, 3, 2], values: [3, 0, 1, 1, 2, 3], grad: false }] },
  { name: 'scatterAdd axis 1 with repeats', op: 'scatterAdd', args: { axis: 1 }, inputs: [{ shape: [3, 4] }, { shape: [3, 3], values: [0, 0, 3, 2, 1, 2, 3, 3, 3], grad: false }, { shape: [3, 3] }] },
  { name: 'scatterAdd axis 0', op: 'scatterAdd', args: { axis: 0 }, inputs: [{ shape: [2, 3, 2] }, { shape: [4, 3, 2], values: [0, 1, 1, 1, 0, 0, 1, 0, 1, 1, 0, 1, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 1, 1], grad: false }, { shape: [4, 3, 2] }] },
  ...randomPrograms(6),
  ...indexingPrograms(6),
];

/** Random compositions through the indexing ops: x [4, 5], indices [4, 3] in [0, 5), updates [4, 3], indices [6] in [0, 4). */
function indexingPrograms(count: number): TorchCase[] {
  let seed = 777;
  const next = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)];
  const inputs = [
    { shape: [4, 5] },
    { shape: [4, 3], values: [4, 0, 4, 1, 1, 2, 3, 0, 0, 2, 4, 2], grad: false },
    { shape: [4, 3] },
    { shape: [6], values: [3, 0, 3, 2, 1, 1], grad: false },
  ];
  return Array.from({ length: count }, (_, k) => {
    const steps: Array<{ op: string; args?: Record<string, unknown>; inputs?: number[] }> = [{ op: pick(safe) }, { op: 'scatterAdd', args: { axis: 1 }, inputs: [1, 2] }, { op: pick(safe) }];
    steps.push(pick([{ op: 'takeAlongAxis', args: { axis: 1 }, inputs: [1] }, { op: 'gather', args: { axis: 0 }, inputs: [3] }]), { op: pick(safe) });
    steps.push(pick([{ op: 'prod', args: { axis: 1 } }, { op: 'cumprod', args: { axis: 0 } }]));
    return { name: `random indexing composition ${k}: ${steps.map((s) => s.op).join(' → ')}`, op: 'program', args: { steps }, inputs, tol: 5e-4 };
  });
}

/** Random compositions: elementwise steps around a product or a running product. */
function randomPrograms(count: number): TorchCase[] {
  let seed = 4242;
  const next = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)];
  return Array.from({ length: count }, (_, k) => {
    const steps = [{ op: pick(safe) }, pick([{ op: 'cumprod', args: { axis: 1 } }, { op: 'cumprod', args: { axis: 0 } }]), { op: 'mul', inputs: [1] }, { op: pick(safe) }];
    steps.push(pick([{ op: 'prod', args: { axis: 1 } }, { op: 'prod', args: { axis: [0, 1], keepDims: true } }]));
    return { name: `random composition ${k}: ${steps.map((s) => s.op).join(' → ')}`, op: 'program', args: { steps }, inputs: [{ shape: [3, 4] }, { shape: [3, 4] }], tol: 5e-4 };
  });
}

torchDifferential('products and indexing equal PyTorch 1.13 (forward and gradients)', 'test/support/torch_indexing.py', cases, ours);
