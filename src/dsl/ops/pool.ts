// Max and average pooling (PyTorch's max_pool2d / avg_pool2d over NCHW) as one primitive that
// reduces each window in place, so no window matrix is made; its gradient goes through the
// windows (conv.ts's im2col and col2im): max's is shared evenly by the positions that attain the
// maximum (max.ts's rule), average's is g / k² on every position of the window.
import { apply, type Primitive, type Tensor } from '../tensor.js';
import { definePrimitive } from '../primitive.js';
import { coordinates, lit } from '../kernel-source.js';
import { pool2dShape } from '../conv-rules.js';
import type { CheckPool2d, CheckWindows, ConvDim, Pool2d, PoolOptions } from '../conv-types.js';
import type { Shape } from '../shape-types.js';
import { assertInputShape, col2imP, colsShape, geometry, im2colP, windowAttrs, withImage, type WindowAttrs } from './conv.js';
import { permute, reshape } from './layout.js';
import { broadcastToP, sumP } from './reduce.js';
import { div, equal, mul } from './elementwise.js';

export interface PoolAttrs extends WindowAttrs {
  readonly kind: 'max' | 'avg';
}

/** g or the output [B, C, OH, OW] as [C, 1, B, OH, OW], beside the windows [C, k², B, OH, OW]. */
const perChannel = (t: Tensor) => {
  const [b, c, oh, ow] = t.shape;
  return reshape(permute(t, [1, 0, 2, 3]), [c, 1, b, oh, ow]);
};

export const pool2dP: Primitive<PoolAttrs> = definePrimitive({
  name: 'pool2d',
  transforms: ['vjp', 'batch'],
  shape: ([x], a: PoolAttrs) => (assertInputShape(x, a.image, 'pool2d'), [a.image[0], a.image[1], a.outH, a.outW]),
  lowering: {
    source: (out, _in, { image: [, , h, w], kh, kw, stride, padding, dilation, fill, kind }) =>
      [
        coordinates(out.shape),
        `let acc = ${lit(kind === 'max' ? fill : 0)};`,
        `for (let p = 0; p < ${kh}; p++) {`,
        `  const y = c2 * ${stride} - ${padding} + p * ${dilation};`,
        `  for (let q = 0; q < ${kw}; q++) {`,
        `    const x = c3 * ${stride} - ${padding} + q * ${dilation};`,
        `    if (y >= 0 && y < ${h} && x >= 0 && x < ${w}) {`,
        `      const v = x0[((c0 * ${out.shape[1]} + c1) * ${h} + y) * ${w} + x];`,
        kind === 'max' ? '      acc = Math.max(acc, v);' : '      acc += v;',
        '    }',
        '  }',
        '}',
        kind === 'max' ? 'return acc;' : `return acc * ${lit(1 / (kh * kw))};`,
      ].join('\n  '),
  },
  vjp: (g, out, [x], a) => {
    const { kind, ...windows } = a;
    const [b, c] = a.image;
    const cols = reshape(apply(im2colP, [x], windows), [c, a.kh * a.kw, b, a.outH, a.outW]);
    const gc = perChannel(g);
    let gcols: Tensor;
    if (kind === 'max') {
      const attained = equal(cols, perChannel(out));
      gcols = mul(attained, div(gc, apply(sumP, [attained], { axis: 1, scale: 1 })));
    } else gcols = apply(broadcastToP, [gc], { shape: cols.shape, scale: 1 / (a.kh * a.kw) });
    return [apply(col2imP, [reshape(gcols, colsShape(a))], { ...windows, fill: 0 })];
  },
  // x [N, B, C, H, W]: N·B images, then the mapped axis back in front
  batch: ([x], _b, a, { size }) => {
    const [, b, ...rest] = x.shape;
    const y = apply(pool2dP, [reshape(x, [size * b, ...rest])], { ...withImage(a, size * b), kind: a.kind });
    return reshape(y, [size, b, ...y.shape.slice(1)]);
  },
});

// the lowest float32: max pooling's padding never wins
const lowest = -3.4028234663852886e38;

function pool(x: Tensor, kernel: number, options: PoolOptions, kind: 'max' | 'avg'): Tensor {
  const op = `${kind}Pool2d`;
  const g = { ...geometry(options, kernel), groups: x.shape[1] };
  pool2dShape(op, x.shape, kernel, g);
  return apply(pool2dP, [x], { ...windowAttrs(x, kernel, kernel, g, op, kind === 'max' ? lowest : 0), kind });
}

/** PyTorch's `max_pool2d` over K×K windows of x [B, C, H, W] (stride defaults to K; padding reads as −∞). */
export function maxPool2d<B extends number, C extends number, H extends number, W extends number, K extends number, const Opt extends PoolOptions = {}>(
  x: Tensor<[B, C, H, W]>,
  kernel: K & NoInfer<CheckWindows<H, W, K, K, Opt, 'maxPool2d', K>>,
  options?: Opt,
): Tensor<[B, C, ConvDim<H, K, Opt, 'maxPool2d', K>, ConvDim<W, K, Opt, 'maxPool2d', K>]>;
export function maxPool2d<X extends Shape, K extends number, const Opt extends PoolOptions = {}>(x: Tensor<X> & CheckPool2d<X, K, Opt, 'maxPool2d'>, kernel: K, options?: Opt): Tensor<Pool2d<X, K, Opt, 'maxPool2d'>>;
export function maxPool2d(x: Tensor, kernel: number, options: PoolOptions = {}): Tensor {
  return pool(x, kernel, options, 'max');
}

/** PyTorch's `avg_pool2d` over K×K windows of x [B, C, H, W] (stride defaults to K; padding counts as zeros). */
export function avgPool2d<B extends number, C extends number, H extends number, W extends number, K extends number, const Opt extends PoolOptions = {}>(
  x: Tensor<[B, C, H, W]>,
  kernel: K & NoInfer<CheckWindows<H, W, K, K, Opt, 'avgPool2d', K>>,
  options?: Opt,
): Tensor<[B, C, ConvDim<H, K, Opt, 'avgPool2d', K>, ConvDim<W, K, Opt, 'avgPool2d', K>]>;
export function avgPool2d<X extends Shape, K extends number, const Opt extends PoolOptions = {}>(x: Tensor<X> & CheckPool2d<X, K, Opt, 'avgPool2d'>, kernel: K, options?: Opt): Tensor<Pool2d<X, K, Opt, 'avgPool2d'>>;
export function avgPool2d(x: Tensor, kernel: number, options: PoolOptions = {}): Tensor {
  return pool(x, kernel, options, 'avg');
}
