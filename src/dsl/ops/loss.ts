// Fused cross-entropy with label smoothing on integer labels (torch semantics).
import { apply, full, Tensor, type BatchAxis, type Primitive } from '../tensor.js';
import { definePrimitive } from '../primitive.js';
import { reshape } from './layout.js';
import { crossEntropyShape, sameShape } from '../shape-rules.js';
import { kernelSource, lit, programLowering, singleKernel } from '../kernel-source.js';
import { logSumExpSource, softmaxGradP, softmaxP } from './softmax.js';
import { mul } from './elementwise.js';
import { sum } from './reduce.js';

interface Attrs {
  readonly classes: number;
  readonly smoothing: number;
}

/**
 * Row-wise ops over [N, C] (and [N]) operands, batched: the mapped axis joins the rows (unbatched
 * operands broadcast along it), and the result is split again.
 */
function overRows(p: () => Primitive<any>) {
  return (inputs: readonly Tensor[], batched: readonly boolean[], attrs: unknown, axis: BatchAxis): Tensor => {
    const rows = inputs.map((x, k) => (batched[k] ? x : axis.expand(x)));
    const flat = rows.map((x) => reshape(x, [x.shape[0] * x.shape[1], ...x.shape.slice(2)]));
    const out = apply(p(), flat, attrs);
    return reshape(out, [axis.size, rows[0].shape[1], ...out.shape.slice(1)]);
  };
}

const gradP: Primitive<Attrs> = definePrimitive({
  name: 'crossEntropyGrad',
  transforms: ['vjp', 'batch'],
  shape: ([x, labels, g], _attrs: Attrs) => (crossEntropyShape(x, labels), sameShape('crossEntropyGrad', [labels, g]), [...x]),
  batch: overRows(() => gradP),
  // out = (softmax(x) - target) g (g per row): for g, Σ_c h (softmax(x) - target); for x, softmax's
  // VJP of h g; none for the labels
  vjp: (h, _out, [x, labels, g], attrs) => [
    apply(softmaxGradP, [apply(softmaxP, [x], 1), mul(h, reshape(g, [g.size, 1]))], 1),
    null,
    sum(mul(h, apply(gradP, [x, labels, full(labels.shape, 1)], attrs)), 1),
  ],
  // d loss_n / d x_nc = softmax(x_n)_c - target_nc, target = (1 - eps) onehot + eps / C
  lowering: {
    kernel: (out, _in, { classes, smoothing }) => {
      const rows = out.size / classes;
      const body =
        `const n = Math.floor((i + 0.5) / ${classes});\n  const c = i - n * ${classes};\n` +
        `  const hot = (c == labels[n] ? ${lit(1 - smoothing)} : 0.0) + ${lit(smoothing / classes)};\n` +
        `  return (Math.exp(x[i] - lse[n]) - hot) * g[n];`;
      const source = kernelSource(['x', 'labels', 'g', 'lse'], body);
      // values: 0 x, 1 labels, 2 g, 3 row log-sum-exp
      return programLowering({
        kernels: [
          { spec: { source: logSumExpSource(classes, 1), length: rows }, args: [0] },
          { spec: { source, length: out.size }, args: [0, 1, 2, 3] },
        ],
      });
    },
  },
});

const crossEntropyP: Primitive<Attrs> = definePrimitive({
  name: 'crossEntropy',
  transforms: ['vjp', 'batch'],
  shape: ([logits, labels], _attrs: Attrs) => crossEntropyShape(logits, labels),
  batch: overRows(() => crossEntropyP),
  // loss_n = lse(x_n) - (1 - eps) x_n[y_n] - eps/C sum_c x_nc
  lowering: {
    kernel: (out, _in, { classes, smoothing }) => {
      const body =
        `const base = i * ${classes};\n  let m = -3.4e38;\n  for (let c = 0; c < ${classes}; c++) { m = Math.max(m, x[base + c]); }\n` +
        `  let s = 0.0;\n  let total = 0.0;\n  let picked = 0.0;\n  const y = labels[i];\n` +
        `  for (let c = 0; c < ${classes}; c++) {\n    const v = x[base + c];\n    s += Math.exp(v - m);\n    total += v;\n    if (c == y) { picked = v; }\n  }\n` +
        `  return m + Math.log(s) - ${lit(1 - smoothing)} * picked - ${lit(smoothing / classes)} * total;`;
      const source = kernelSource(['x', 'labels'], body);
      return singleKernel(source, out.size);
    },
  },
  vjp: (g, _out, [x, labels], attrs) => [apply(gradP, [x, labels, g], attrs), null],
});

/** Labels as a tensor of class indices (checked to be integers in [0, classes)). */
export function labelTensor<const N extends number>(labels: ArrayLike<number>, classes: number, count: N = labels.length as N): Tensor<[N]> {
  for (let k = 0; k < labels.length; k++) {
    const y = labels[k];
    if (!Number.isInteger(y) || y < 0 || y >= classes) throw new Error(`label ${y} at index ${k} is not a class index in [0, ${classes})`);
  }
  return new Tensor([count] as [N], null, [], undefined, Float32Array.from(labels));
}

/**
 * Per-sample cross-entropy of logits [N, C] against integer labels [N] with label smoothing `eps`
 * (torch CrossEntropyLoss(label_smoothing=eps, reduction='none')).
 */
export function crossEntropy<const N extends number, const C extends number>(logits: Tensor<[N, C]>, labels: Tensor<[NoInfer<N>]>, smoothing = 0): Tensor<[N]> {
  if (!(smoothing >= 0 && smoothing <= 1)) throw new Error(`label smoothing ${smoothing} is not in [0, 1]`);
  return apply(crossEntropyP, [logits, labels], { classes: logits.shape[1], smoothing });
}
