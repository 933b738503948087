// Convolution (PyTorch layouts: NCHW inputs, OIHW weights) as im2col into the existing matmul.
// Two primitives: im2col gathers every window of x ([G, C/G, kH, kW, B, OH, OW]: each row, a
// kernel tap of one channel, holds every output position, so a row of one image is a contiguous
// run of the input at stride 1) and col2im, its transpose, sums windows back into an image; each
// is the other's VJP. conv2d and convTranspose2d are matmuls around them; pooling (pool.ts)
// differentiates through the same windows.
import { apply, constant, type Mutable, type Primitive, type Tensor } from '../tensor.js';
import { definePrimitive } from '../primitive.js';
import { coordinates, kernelSource, lit, singleKernel } from '../kernel-source.js';
import { adaptivePoolShape, conv2dShape, convTranspose2dShape, windowCount, type ConvGeometry } from '../conv-rules.js';
import type { CheckConv2d, CheckTransposed, CheckWindows, Conv2d, ConvDim, ConvOptions, TransposedDim } from '../conv-types.js';
import { shapesEqual } from '../shape-rules.js';
import type { Shape } from '../shape-types.js';
import { matmulRaw } from './matmul.js';
import { permute, reshape } from './layout.js';

export interface WindowAttrs extends ConvGeometry {
  /** the image [B, C, H, W] */
  readonly image: readonly number[];
  readonly kh: number;
  readonly kw: number;
  readonly outH: number;
  readonly outW: number;
  /** the value read outside the image (0 for conv, the lowest float for max pooling) */
  readonly fill: number;
}

export const colsShape = ({ image: [b, c], groups, outH, outW, kh, kw }: WindowAttrs) => [groups, c / groups, kh, kw, b, outH, outW];

/** The input's shape is the one the attrs were built for (an internal invariant, not a user's shape rule). */
export function assertInputShape(got: readonly number[], want: readonly number[], op: string): number[] {
  if (!shapesEqual(got, want)) throw new Error(`internal: ${op} input [${got}] is not [${want}]`);
  return [...want];
}

/** [N, ...rest] as [N·rest[0], ...rest.slice(1)] and back: a batching rule folds the mapped axis into B. */
export const withImage = (a: WindowAttrs, b: number): WindowAttrs => ({ ...a, image: [b, ...a.image.slice(1)] });

export const im2colP: Primitive<WindowAttrs> = definePrimitive({
  name: 'im2col',
  transforms: ['vjp', 'batch'],
  shape: ([x], a: WindowAttrs) => (assertInputShape(x, a.image, 'im2col'), colsShape(a)),
  lowering: {
    source: (out, _in, { image: [, c, h, w], groups, stride, padding, dilation, fill }) => {
      const cg = c / groups;
      return [
        coordinates(out.shape),
        `const y = c5 * ${stride} - ${padding} + c2 * ${dilation};`,
        `const x = c6 * ${stride} - ${padding} + c3 * ${dilation};`,
        `if (y < 0 || y >= ${h} || x < 0 || x >= ${w}) { return ${lit(fill)}; }`,
        `return x0[((c4 * ${c} + c0 * ${cg} + c1) * ${h} + y) * ${w} + x];`,
      ].join('\n  ');
    },
  },
  vjp: (g, _out, _in, a) => [apply(col2imP, [g], a)],
  // x [N, B, C, H, W]: N·B images, then the mapped axis back in front
  batch: ([x], _b, a, { size }) => {
    const [, b, ...rest] = x.shape;
    const cols = apply(im2colP, [reshape(x, [size * b, ...rest])], withImage(a, size * b));
    const [g, cg, kh, kw, , oh, ow] = cols.shape;
    return permute(reshape(cols, [g, cg, kh, kw, size, b, oh, ow]), [4, 0, 1, 2, 3, 5, 6, 7]);
  },
});

export const col2imP: Primitive<WindowAttrs> = definePrimitive({
  name: 'col2im',
  transforms: ['vjp', 'batch'],
  shape: ([cols], a: WindowAttrs) => (assertInputShape(cols, colsShape(a), 'col2im'), [...a.image]),
  // each pixel sums the window entries that read it: kernel offsets whose window start is on the stride grid
  lowering: {
    source: (out, _in, { image: [b, c], groups, stride, padding, dilation, kh, kw, outH, outW }) => {
      const cg = c / groups;
      return [
        coordinates(out.shape),
        `const g = Math.floor((c1 + 0.5) / ${cg});`,
        `const cc = c1 - g * ${cg};`,
        'let acc = 0.0;',
        `for (let p = 0; p < ${kh}; p++) {`,
        `  const ty = c2 + ${padding} - p * ${dilation};`,
        `  const oy = Math.floor((ty + 0.5) / ${stride});`,
        `  if (ty >= 0 && oy * ${stride} == ty && oy < ${outH}) {`,
        `    for (let q = 0; q < ${kw}; q++) {`,
        `      const tx = c3 + ${padding} - q * ${dilation};`,
        `      const ox = Math.floor((tx + 0.5) / ${stride});`,
        `      if (tx >= 0 && ox * ${stride} == tx && ox < ${outW}) {`,
        `        acc += x0[(((((g * ${cg} + cc) * ${kh} + p) * ${kw} + q) * ${b} + c0) * ${outH} + oy) * ${outW} + ox];`,
        '      }',
        '    }',
        '  }',
        '}',
        'return acc;',
      ].join('\n  ');
    },
  },
  vjp: (g, _out, _in, a) => [apply(im2colP, [g], { ...a, fill: 0 })],
  // cols [N, G, Cg, kH, kW, B, OH, OW]: N beside B, N·B images, then the mapped axis back in front
  batch: ([cols], _b, a, { size }) => {
    const [, g, cg, kh, kw, b, oh, ow] = cols.shape;
    const folded = reshape(permute(cols, [1, 2, 3, 4, 0, 5, 6, 7]), [g, cg, kh, kw, size * b, oh, ow]);
    const image = apply(col2imP, [folded], withImage(a, size * b));
    return reshape(image, [size, b, ...a.image.slice(1)]);
  },
});

export const geometry = (o: ConvOptions = {}, defaultStride = 1): ConvGeometry => ({
  stride: o.stride ?? defaultStride,
  padding: o.padding ?? 0,
  dilation: o.dilation ?? 1,
  groups: o.groups ?? 1,
});

/** The window attributes of x [B, C, H, W] under a kh × kw kernel. */
export function windowAttrs(x: Tensor, kh: number, kw: number, g: ConvGeometry, op: string, fill: number): WindowAttrs {
  const [, , h, w] = x.shape;
  return { ...g, image: [...x.shape], kh, kw, outH: windowCount(op, 'height', h, kh, g), outW: windowCount(op, 'width', w, kw, g), fill };
}

/** w [O, Cg, kH, kW] times cols [G, Cg, kH, kW, B, OH, OW] per group: [O, B·OH·OW], as [B, O, OH, OW]. */
function convFromCols(cols: Tensor, w: Tensor): Tensor {
  const [groups, cg, kh, kw, b, oh, ow] = cols.shape;
  const o = w.shape[0];
  const k = cg * kh * kw;
  const y = matmulRaw(reshape(w, [groups, o / groups, k]), reshape(cols, [groups, k, b * oh * ow]));
  return permute(reshape(y, [o, b, oh, ow]), [1, 0, 2, 3]);
}

/**
 * 2-D convolution, PyTorch's `conv2d` (cross-correlation): x [B, C, H, W], w [O, C/groups, kH, kW]
 * gives [B, O, OH, OW] with OH = ⌊(H + 2p − d(kH − 1) − 1) / s⌋ + 1. Literal sizes give the output
 * size in the type; a channel or group mismatch or a window larger than the padded input is a
 * compile error naming the numbers. Generic code (groups 1) shares C between x and w structurally.
 */
export function conv2d<B extends number, C extends number, H extends number, W extends number, O extends number, KH extends number, KW extends number, const Opt extends ConvOptions & { readonly groups?: 1 } = {}>(
  x: Tensor<[B, C, H, W]>,
  w: Tensor<[O, NoInfer<C>, KH, KW]> & NoInfer<CheckWindows<H, W, KH, KW, Opt, 'conv2d', 1>>,
  options?: Opt,
): Tensor<[B, O, ConvDim<H, KH, Opt>, ConvDim<W, KW, Opt>]>;
export function conv2d<X extends Shape, W extends Shape, const Opt extends ConvOptions = {}>(x: Tensor<X>, w: Tensor<W> & CheckConv2d<X, W, Opt>, options?: Opt): Tensor<Conv2d<X, W, Opt>>;
export function conv2d(x: Tensor, w: Tensor, options?: ConvOptions): Tensor {
  const g = geometry(options);
  conv2dShape(x.shape, w.shape, g);
  return convFromCols(apply(im2colP, [x], windowAttrs(x, w.shape[2], w.shape[3], g, 'conv2d', 0)), w);
}

/**
 * PyTorch's `conv_transpose2d`: the gradient of conv2d with respect to its input, as an op.
 * x [B, Cin, H, W], w [Cin, Cout/groups, kH, kW]; OH = (H − 1)s − 2p + d(kH − 1) + outputPadding + 1.
 */
export function convTranspose2d<B extends number, C extends number, H extends number, W extends number, O extends number, KH extends number, KW extends number, const Opt extends ConvOptions & { readonly groups?: 1; readonly outputPadding?: number } = {}>(
  x: Tensor<[B, C, H, W]>,
  w: Tensor<[NoInfer<C>, O, KH, KW]> & NoInfer<CheckTransposed<H, W, KH, KW, Opt>>,
  options?: Opt,
): Tensor<[B, O, TransposedDim<H, KH, Opt>, TransposedDim<W, KW, Opt>]>;
export function convTranspose2d(x: Tensor, w: Tensor, options: ConvOptions & { readonly outputPadding?: number } = {}): Tensor {
  const g = geometry(options);
  const [b, c, h, wd] = x.shape;
  const [, og, kh, kw] = w.shape;
  const [, o, oh, ow] = convTranspose2dShape(x.shape, w.shape, g, options.outputPadding ?? 0);
  const groups = g.groups;
  const ci = c / groups;
  // per group: w [Cin/G, Cout/G·kH·kW]ᵀ times the input pixels [Cin/G, B·H·W] are the windows of the output
  const pixels = reshape(permute(reshape(x, [b, groups, ci, h * wd]), [1, 2, 0, 3]), [groups, ci, b * h * wd]);
  const cols = matmulRaw(reshape(w, [groups, ci, og * kh * kw]), pixels, { transposeA: true });
  const attrs: WindowAttrs = { ...g, image: [b, o, oh, ow], kh, kw, outH: h, outW: wd, fill: 0 };
  return apply(col2imP, [reshape(cols, [groups, og, kh, kw, b, h, wd])], attrs);
}

/** Row i of the [out, n] averaging matrix averages [⌊i·n/out⌋, ⌈(i+1)·n/out⌉) (PyTorch's adaptive windows). */
function averaging(n: number, out: number): Tensor {
  const m = new Float32Array(out * n);
  for (let i = 0; i < out; i++) {
    const start = Math.floor((i * n) / out);
    const end = Math.ceil(((i + 1) * n) / out);
    for (let j = start; j < end; j++) m[i * n + j] = 1 / (end - start);
  }
  return constant(m, [out, n]);
}

/** PyTorch's `adaptive_avg_pool2d`: x [B, C, H, W] to [B, C, OH, OW] (`[1, 1]` is global average pooling). */
export function adaptiveAvgPool2d<B extends number, C extends number, H extends number, W extends number, const Out extends readonly [number, number]>(
  x: Tensor<[B, C, H, W]>,
  outputSize: Out,
): Tensor<[B, C, ...Mutable<Out>]>;
export function adaptiveAvgPool2d(x: Tensor, [oh, ow]: readonly [number, number]): Tensor {
  const [, , h, w] = adaptivePoolShape(x.shape, oh, ow);
  const rows = matmulRaw(x, averaging(w, ow), { transposeB: true }); // [B, C, H, OW]
  const cols = matmulRaw(permute(rows, [0, 1, 3, 2]), averaging(h, oh), { transposeB: true }); // [B, C, OW, OH]
  return permute(cols, [0, 1, 3, 2]);
}
