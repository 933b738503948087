// Differential suite against PyTorch 1.13 for the elementwise, conv/pool and reduction ops of issue 18
// and random compositions of them (the harness: test/support/torch-diff.ts; the torch side:
// test/support/torch_reference.py).
import test from 'ava';
import * as sv from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { torchDifferential, type TorchCase } from './support/torch-diff.js';

interface Step {
  op: string;
  args?: Record<string, unknown>;
  inputs?: number[];
}
const any = sv as unknown as Record<string, (...a: unknown[]) => Tensor>;
const unary = ['abs', 'square', 'sigmoid', 'softplus', 'sin', 'cos', 'log1p', 'expm1', 'erf', 'reciprocal', 'exp', 'tanh', 'relu', 'gelu'];
const binary = ['maximum', 'minimum', 'pow', 'mul', 'add', 'greater', 'greaterEqual', 'less', 'lessEqual', 'notEqual'];
const comparisons = new Set(['greater', 'greaterEqual', 'less', 'lessEqual', 'notEqual']);

/** Our side of one op (the same names and argument records as torch_reference.py). */
function ours(op: string, xs: Tensor[], a: Record<string, any>): Tensor {
  if (unary.includes(op) || binary.includes(op)) return any[op](...xs);
  switch (op) {
    case 'sign':
      return sv.sign(xs[0]);
    case 'powScalar':
      return sv.pow(xs[0], a.exponent);
    case 'clip':
      return sv.clip(xs[0], a.lo, a.hi);
    case 'where':
      return sv.where(xs[0], xs[1], xs[2]);
    case 'conv2d':
      return sv.conv2d(xs[0] as never, xs[1] as never, a as never) as Tensor;
    case 'convTranspose2d':
      return sv.convTranspose2d(xs[0] as never, xs[1] as never, a as never) as Tensor;
    case 'maxPool2d':
      return sv.maxPool2d(xs[0] as never, a.kernel, a as never) as Tensor;
    case 'avgPool2d':
      return sv.avgPool2d(xs[0] as never, a.kernel, a as never) as Tensor;
    case 'adaptiveAvgPool2d':
      return sv.adaptiveAvgPool2d(xs[0] as never, a.size) as Tensor;
    case 'cumsum':
      return sv.cumsum(xs[0] as never, a.axis as never) as Tensor;
    case 'min':
    case 'logsumexp':
    case 'variance':
    case 'std':
      return any[op](xs[0], a.axis ?? undefined, a.keepDims ?? false);
    case 'program':
      return (a.steps as Step[]).reduce((v, s) => ours(s.op, [v, ...(s.inputs ?? []).map((k) => xs[k])], s.args ?? {}), xs[0]);
  }
  throw new Error(`unknown op ${op}`);
}

const cases: TorchCase[] = [
  ...unary.map((op) => ({ name: op, op, inputs: [{ shape: [3, 5], lo: op === 'reciprocal' ? 0.5 : -0.9, hi: 2 }] })),
  { name: 'sign', op: 'sign', inputs: [{ shape: [7], values: [-2, -0.5, 0, 0.25, 3, -0, 1] }], grad: false },
  ...binary.map((op) => ({
    name: op,
    op,
    inputs: [{ shape: [2, 3, 4], lo: op === 'pow' ? 0.2 : -1, hi: 2 }, { shape: [3, 1], lo: -1, hi: 2 }],
    grad: !comparisons.has(op),
  })),
  { name: 'pow with an integer exponent, negative base', op: 'powScalar', args: { exponent: 3 }, inputs: [{ shape: [6], lo: -2, hi: 2 }] },
  { name: 'pow with a fractional exponent', op: 'powScalar', args: { exponent: 0.7 }, inputs: [{ shape: [6], lo: 0.2, hi: 2 }] },
  { name: 'clip', op: 'clip', args: { lo: -0.5, hi: 0.6 }, inputs: [{ shape: [4, 5] }] },
  { name: 'where', op: 'where', inputs: [{ shape: [2, 3], values: [1, 0, 0, 1, 0, 1], grad: false }, { shape: [2, 3] }, { shape: [3] }] },
  { name: 'conv2d 3x3 padding 1', op: 'conv2d', args: { padding: 1 }, inputs: [{ shape: [2, 3, 6, 6] }, { shape: [4, 3, 3, 3] }] },
  { name: 'conv2d stride 2 dilation 2 groups 2', op: 'conv2d', args: { stride: 2, dilation: 2, groups: 2, padding: 1 }, inputs: [{ shape: [1, 4, 9, 8] }, { shape: [6, 2, 3, 2] }] },
  { name: 'convTranspose2d stride 2', op: 'convTranspose2d', args: { stride: 2, padding: 1, outputPadding: 1 }, inputs: [{ shape: [1, 3, 4, 5] }, { shape: [3, 2, 3, 3] }] },
  { name: 'convTranspose2d groups 3', op: 'convTranspose2d', args: { groups: 3, dilation: 2 }, inputs: [{ shape: [2, 3, 3, 3] }, { shape: [3, 2, 2, 2] }] },
  { name: 'maxPool2d 3 stride 2 padding 1', op: 'maxPool2d', args: { kernel: 3, stride: 2, padding: 1 }, inputs: [{ shape: [2, 2, 7, 6] }] },
  { name: 'avgPool2d 2', op: 'avgPool2d', args: { kernel: 2 }, inputs: [{ shape: [2, 3, 6, 5] }] },
  { name: 'avgPool2d 3 padding 1', op: 'avgPool2d', args: { kernel: 3, stride: 2, padding: 1 }, inputs: [{ shape: [1, 2, 5, 5] }] },
  { name: 'adaptiveAvgPool2d 5x7 to 3x2', op: 'adaptiveAvgPool2d', args: { size: [3, 2] }, inputs: [{ shape: [2, 2, 5, 7] }] },
  ...['min', 'logsumexp', 'variance', 'std'].flatMap((op) => [
    { name: `${op} axis 1`, op, args: { axis: 1 }, inputs: [{ shape: [3, 4, 2] }] },
    { name: `${op} axes [0, 2] keepDims`, op, args: { axis: [0, 2], keepDims: true }, inputs: [{ shape: [3, 4, 2] }] },
  ]),
  { name: 'cumsum axis 1', op: 'cumsum', args: { axis: 1 }, inputs: [{ shape: [3, 4, 2] }] },
  ...randomPrograms(12),
];

/** Random compositions: a conv stem then elementwise steps (some with a second input) and a reduction. */
function randomPrograms(count: number): TorchCase[] {
  let seed = 12345;
  const next = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)];
  const safe = ['sigmoid', 'sin', 'cos', 'square', 'softplus', 'erf', 'abs', 'tanh', 'gelu', 'relu'];
  return Array.from({ length: count }, (_, k) => {
    const steps: Step[] = [{ op: 'conv2d', args: { padding: 1 }, inputs: [1] }];
    if (next() < 0.5) steps.push({ op: pick(['maxPool2d', 'avgPool2d']), args: { kernel: 2 } });
    for (let s = 0; s < 3 + Math.floor(next() * 3); s++) {
      steps.push(next() < 0.3 ? { op: pick(['maximum', 'minimum', 'mul', 'add']), inputs: [2] } : { op: pick(safe) });
    }
    steps.push(pick([{ op: 'logsumexp', args: { axis: [2, 3] } }, { op: 'variance', args: { axis: 1 } }, { op: 'min', args: { axis: 3 } }, { op: 'cumsum', args: { axis: 2 } }]));
    return { name: `random composition ${k}: ${steps.map((s) => s.op).join(' → ')}`, op: 'program', args: { steps }, inputs: [{ shape: [2, 2, 4, 4] }, { shape: [3, 2, 3, 3] }, { shape: [3, 1, 1], lo: -0.5, hi: 0.5 }], tol: 5e-4 };
  });
}

test('the suite covers every op of issue 18 and random compositions', (t) => {
  t.true(cases.length >= 50, `${cases.length} cases`);
});

torchDifferential('forward and gradients equal PyTorch 1.13 on every op and random compositions', 'test/support/torch_reference.py', cases, ours);
