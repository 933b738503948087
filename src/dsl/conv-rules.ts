// Runtime mirror of conv-types.ts: the same conv / pooling shape rules, throwing ShapeError with
// exactly the sentence the type level prints for the same numbers, checked in the same order.
import { ShapeError } from './shape-error.js';
import { formatShape } from './shape-rules.js';

const fail = (message: string): never => {
  throw new ShapeError(message);
};

/** Resolved options of one conv / pool (all spatial numbers the same for both axes). */
export interface ConvGeometry {
  readonly stride: number;
  readonly padding: number;
  readonly dilation: number;
  readonly groups: number;
}

function checkOptions(op: string, g: ConvGeometry): void {
  for (const [name, v] of Object.entries(g)) {
    const min = name === 'padding' ? 0 : 1;
    if (!Number.isSafeInteger(v) || v < min) fail(`${op}: ${name} ${v} is not ${min ? 'a positive' : 'a non-negative'} integer`);
  }
}

/** Windows along an axis of size n (conv-types.ts WindowCount). */
export function windowCount(op: string, axis: string, n: number, k: number, { stride, padding, dilation }: ConvGeometry): number {
  const padded = n + 2 * padding;
  const span = dilation * (k - 1) + 1;
  if (padded < span) fail(`${op}: the window ${span} (kernel ${k}, dilation ${dilation}) exceeds the padded ${axis} ${padded}`);
  return Math.floor((padded - span) / stride) + 1;
}

/** conv2d's output shape [B, O, OH, OW] (conv-types.ts Conv2dResult). */
export function conv2dShape(x: readonly number[], w: readonly number[], g: ConvGeometry): number[] {
  if (x.length !== 4) fail(`conv2d needs x [batch, channels, height, width], got ${formatShape(x)}`);
  if (w.length !== 4) fail(`conv2d needs w [out, in/groups, kH, kW], got ${formatShape(w)}`);
  checkOptions('conv2d', g);
  const [b, c, h, wd] = x;
  const [o, cg, kh, kw] = w;
  const { groups } = g;
  if (c % groups !== 0) fail(`conv2d: groups ${groups} do not divide the input channels ${c}`);
  if (o % groups !== 0) fail(`conv2d: groups ${groups} do not divide the output channels ${o}`);
  if (cg * groups !== c) fail(`conv2d: x has ${c} channels but w ${formatShape(w)} with groups ${groups} expects ${cg * groups}`);
  return [b, o, windowCount('conv2d', 'height', h, kh, g), windowCount('conv2d', 'width', wd, kw, g)];
}

/** convTranspose2d's output shape for x [B, Cin, H, W] and w [Cin, Cout/groups, kH, kW]. */
export function convTranspose2dShape(x: readonly number[], w: readonly number[], g: ConvGeometry, outputPadding: number): number[] {
  if (x.length !== 4) fail(`convTranspose2d needs x [batch, channels, height, width], got ${formatShape(x)}`);
  if (w.length !== 4) fail(`convTranspose2d needs w [in, out/groups, kH, kW], got ${formatShape(w)}`);
  checkOptions('convTranspose2d', g);
  const [b, c, h, wd] = x;
  const [ci, og, kh, kw] = w;
  if (ci !== c) fail(`convTranspose2d: x has ${c} channels but w ${formatShape(w)} expects ${ci}`);
  if (c % g.groups !== 0) fail(`convTranspose2d: groups ${g.groups} do not divide the input channels ${c}`);
  if (!Number.isSafeInteger(outputPadding) || outputPadding < 0 || outputPadding >= Math.max(g.stride, g.dilation)) {
    fail(`convTranspose2d: outputPadding ${outputPadding} must be a non-negative integer below the stride or the dilation`);
  }
  const size = (n: number, k: number) => (n - 1) * g.stride - 2 * g.padding + g.dilation * (k - 1) + outputPadding + 1;
  const [oh, ow] = [size(h, kh), size(wd, kw)];
  if (oh < 1 || ow < 1) fail(`convTranspose2d: padding ${g.padding} leaves an empty output`);
  return [b, og * g.groups, oh, ow];
}

/** Pooling's output shape [B, C, OH, OW] (conv-types.ts Pool2dResult). */
export function pool2dShape(op: string, x: readonly number[], kernel: number, g: ConvGeometry): number[] {
  if (x.length !== 4) fail(`${op} needs x [batch, channels, height, width], got ${formatShape(x)}`);
  if (!Number.isSafeInteger(kernel) || kernel < 1) fail(`${op}: kernel ${kernel} is not a positive integer`);
  checkOptions(op, g);
  if (g.padding * 2 > kernel) fail(`${op}: padding ${g.padding} exceeds half the kernel ${kernel}`);
  const [b, c, h, w] = x;
  return [b, c, windowCount(op, 'height', h, kernel, g), windowCount(op, 'width', w, kernel, g)];
}

/** adaptiveAvgPool2d's input checked: x [B, C, H, W] with 1 <= OH <= H and 1 <= OW <= W. */
export function adaptivePoolShape(x: readonly number[], oh: number, ow: number): number[] {
  if (x.length !== 4) fail(`adaptiveAvgPool2d needs x [batch, channels, height, width], got ${formatShape(x)}`);
  for (const [o, n] of [[oh, x[2]], [ow, x[3]]]) if (!Number.isSafeInteger(o) || o < 1 || o > n) fail(`adaptiveAvgPool2d: output size ${o} is not in [1, ${n}]`);
  return [...x];
}
